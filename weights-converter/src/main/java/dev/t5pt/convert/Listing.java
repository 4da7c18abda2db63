package dev.t5pt.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A line per stored tensor of any checkpoint: name, type, shape, the format's own location columns, the
 * verification status and the first elements in storage order. Tensors whose data file is absent are
 * listed as not checked; tensors that fail verification are listed with the reason, and the listing then
 * fails as a whole.
 */
public final class Listing {
    public static final int FIRST = 4;

    private Listing() {
    }

    /** Lines for every tensor, then a summary line; throws after listing if any tensor failed verification. */
    public static void list(Checkpoint ckpt, Consumer<String> out) throws IOException {
        out.accept("# " + ckpt.format() + " checkpoint " + ckpt.source() + ": " + ckpt.tensors().size() + " tensors");
        out.accept("# name\tdtype\tshape\t" + switch (ckpt.format()) {
            case "tensorflow" -> "shard\toffset\tsize\tcrc32c_field\tcrc32c_unmasked";
            case "pytorch" -> "storage\tstorage_offset\tstride";
            default -> "file\tbegin\tend";
        } + "\tcheck\tfirst_values");
        int ok = 0;
        int unchecked = 0;
        List<String> bad = new ArrayList<>();
        for (SourceTensor t : ckpt.tensors()) {
            String check;
            String values = "";
            try {
                if (!ckpt.dataPresent(t)) {
                    check = "NOT_CHECKED(data shard absent)";
                    unchecked++;
                } else {
                    ByteBuffer b = ckpt.readStored(t);
                    values = firstValues(t, b);
                    check = "OK";
                    ok++;
                }
            } catch (IOException | RuntimeException e) {
                check = "FAILED(" + e.getMessage() + ")";
                bad.add(t.name());
            }
            out.accept(t.name() + "\t" + t.typeName() + "\t" + t.shapeString() + "\t" + ckpt.details(t) + "\t"
                    + check + "\t" + values);
        }
        out.accept("# verified " + ok + " of " + ckpt.tensors().size() + " tensors; " + unchecked
                + " not checked (data absent); " + bad.size() + " failed");
        if (!bad.isEmpty()) {
            throw new ConvertException(ckpt.source() + ": " + bad.size() + " tensor(s) failed verification, first '"
                    + bad.get(0) + "'");
        }
    }

    static String firstValues(SourceTensor t, ByteBuffer b) {
        if (t.typeName().equals("DT_STRING")) {
            return TfCheckpoint.stringSummary(t, b);
        }
        if (t.dtype() == null) {
            return "bytes: " + b.remaining();
        }
        long n = Math.min(FIRST, t.numElements());
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "" : ", ").append(Elements.text(b, t.dtype(), i));
        }
        return s.append(']').toString();
    }
}
