package dev.t5pt.convert;

import dev.t5pt.io.DType;

/** TensorFlow's DataType enum (types.proto): the names, and the safetensors type of the numeric ones. */
final class TfDataType {
    static final int DT_STRING = 7;
    private static final String[] NAMES = new String[24];

    static {
        String[] n = {null, "DT_FLOAT", "DT_DOUBLE", "DT_INT32", "DT_UINT8", "DT_INT16", "DT_INT8", "DT_STRING",
                "DT_COMPLEX64", "DT_INT64", "DT_BOOL", "DT_QINT8", "DT_QUINT8", "DT_QINT32", "DT_BFLOAT16",
                "DT_QINT16", "DT_QUINT16", "DT_UINT16", "DT_COMPLEX128", "DT_HALF", "DT_RESOURCE", "DT_VARIANT",
                "DT_UINT32", "DT_UINT64"};
        System.arraycopy(n, 0, NAMES, 0, n.length);
    }

    private TfDataType() {
    }

    static String name(int dtype) {
        return dtype > 0 && dtype < NAMES.length ? NAMES[dtype] : "DT_?" + dtype;
    }

    static DType dtype(int dtype) {
        return switch (dtype) {
            case 1 -> DType.F32;
            case 2 -> DType.F64;
            case 3 -> DType.I32;
            case 4 -> DType.U8;
            case 6 -> DType.I8;
            case 9 -> DType.I64;
            case 10 -> DType.BOOL;
            case 14 -> DType.BF16;
            case 19 -> DType.F16;
            default -> null;
        };
    }
}
