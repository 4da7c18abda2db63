package dev.t5pt.convert;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds torch.save-style zip files with hand-written pickles, for the hostile-input tests. */
final class TorchFiles {
    private final ByteArrayOutputStream p = new ByteArrayOutputStream();

    TorchFiles op(int... bytes) {
        for (int b : bytes) {
            p.write(b);
        }
        return this;
    }

    TorchFiles global(String module, String name) {
        p.write('c');
        p.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    TorchFiles str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.writeBytes(new byte[]{(byte) b.length, (byte) (b.length >> 8), (byte) (b.length >> 16), (byte) (b.length >> 24)});
        p.writeBytes(b);
        return this;
    }

    TorchFiles integer(long v) {
        p.write('J');
        for (int i = 0; i < 4; i++) {
            p.write((int) (v >> (8 * i)));
        }
        return this;
    }

    TorchFiles ints(long... v) {
        op('(');
        for (long x : v) {
            integer(x);
        }
        return op('t');
    }

    /** {name: float tensor viewing storage "0" of {@code numel} elements}. */
    static byte[] stateDict(String name, long numel, long offset, long[] size, long[] stride) {
        TorchFiles t = new TorchFiles().op(0x80, 2).global("collections", "OrderedDict").op(')', 'R', '(').str(name)
                .global("torch._utils", "_rebuild_tensor_v2").op('(')
                .op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(numel).op('t', 'Q')
                .integer(offset).ints(size).ints(stride).op(0x89)
                .global("collections", "OrderedDict").op(')', 'R').op('t', 'R').op('u', '.');
        return t.bytes();
    }

    /** A pickle that calls {@code module.name("echo pwned")}. */
    static byte[] call(String module, String name) {
        return new TorchFiles().op(0x80, 2).global(module, name).str("echo pwned > /tmp/t5pt-pwned").op(0x85, 'R', '.').bytes();
    }

    byte[] bytes() {
        return p.toByteArray();
    }

    /** A zip in torch's layout; {@code deflate} compresses the storages (torch never does). */
    static void zip(Path file, byte[] pickle, Map<String, byte[]> storages, boolean deflate) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
            put(z, "archive/data.pkl", pickle, false);
            for (Map.Entry<String, byte[]> e : storages.entrySet()) {
                put(z, "archive/data/" + e.getKey(), e.getValue(), deflate);
            }
        }
    }

    private static void put(ZipOutputStream z, String name, byte[] data, boolean deflate) throws IOException {
        ZipEntry e = new ZipEntry(name);
        if (!deflate) {
            CRC32 crc = new CRC32();
            crc.update(data);
            e.setMethod(ZipEntry.STORED);
            e.setSize(data.length);
            e.setCompressedSize(data.length);
            e.setCrc(crc.getValue());
        }
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
