package dev.t5pt.io;

import org.nd4j.linalg.api.buffer.DataType;

/** Safetensors element types t5pt reads and writes; floating types are computed in float32. */
public enum DType {
    F32(4, DataType.FLOAT),
    F16(2, DataType.FLOAT),
    BF16(2, DataType.FLOAT),
    F64(8, DataType.DOUBLE),
    I64(8, DataType.LONG),
    I32(4, DataType.INT),
    I8(1, DataType.BYTE),
    U8(1, DataType.UBYTE),
    BOOL(1, DataType.BOOL);

    /** Bytes per stored element. */
    public final int size;
    /** The ND4J type a stored tensor of this type is loaded as. */
    public final DataType loadedAs;

    DType(int size, DataType loadedAs) {
        this.size = size;
        this.loadedAs = loadedAs;
    }

    public boolean isFloating() {
        return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    /** Parses the safetensors dtype name; null when unknown. */
    public static DType parse(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The stored type of an ND4J array written without conversion. */
    public static DType of(DataType t) {
        return switch (t) {
            case FLOAT -> F32;
            case DOUBLE -> F64;
            case LONG -> I64;
            case INT -> I32;
            case BYTE -> I8;
            case UBYTE -> U8;
            case BOOL -> BOOL;
            default -> throw new IllegalArgumentException("cannot store ND4J type " + t + " in safetensors");
        };
    }
}
