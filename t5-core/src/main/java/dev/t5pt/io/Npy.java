package dev.t5pt.io;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy's .npy format (v1–v3) for 2-D float arrays: what the official prompt-tuning repo saves prompts as. */
public final class Npy {
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=]?)([fi])(\\d)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** Reads a 2-D float32/float64 array (little or big endian, C or Fortran order) as FLOAT [rows, cols]. */
    public static INDArray read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        if (all.length < 10 || all[0] != (byte) 0x93 || !new String(all, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
            throw new IOException(file + ": not a .npy file (expected the \\x93NUMPY magic)");
        }
        int major = all[6];
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int start;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(bb.getShort(8));
            start = 10;
        } else if (major == 2 || major == 3) {
            headerLen = bb.getInt(8);
            start = 12;
        } else {
            throw new IOException(file + ": unsupported .npy version " + major);
        }
        if (headerLen < 0 || start + headerLen > all.length) {
            throw new IOException(file + ": truncated .npy header");
        }
        String header = new String(all, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IOException(file + ": .npy header lacks descr, fortran_order or shape: " + header.strip());
        }
        if (!d.group(2).equals("f") || !(d.group(3).equals("4") || d.group(3).equals("8"))) {
            throw new IOException(file + ": expected float32 or float64 data, found dtype '" + d.group(1) + d.group(2) + d.group(3) + "'");
        }
        String[] dims = s.group(1).replace(" ", "").split(",");
        if (dims.length < 2 || dims[0].isEmpty() || dims[1].isEmpty() || (dims.length > 2 && !dims[2].isEmpty())) {
            throw new IOException(file + ": expected a 2-D array [prompt_length, d_model], found shape (" + s.group(1) + ")");
        }
        long rows = Long.parseLong(dims[0]);
        long cols = Long.parseLong(dims[1]);
        int width = Integer.parseInt(d.group(3));
        long need = rows * cols * width;
        int dataStart = start + headerLen;
        if (all.length - dataStart != need) {
            throw new IOException(file + ": shape (" + rows + ", " + cols + ") needs " + need + " bytes of data, found "
                    + (all.length - dataStart));
        }
        ByteBuffer data = ByteBuffer.wrap(all, dataStart, (int) need).order(d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[(int) (rows * cols)];
        for (int i = 0; i < v.length; i++) {
            v[i] = width == 4 ? data.getFloat() : (float) data.getDouble();
        }
        char order = f.group(1).equals("True") ? 'f' : 'c';
        return Nd4j.create(v, new long[]{rows, cols}, order).dup('c').castTo(DataType.FLOAT);
    }

    /** Writes a FLOAT 2-D array as .npy v1.0 float32 C-order, atomically. */
    public static void write(Path file, INDArray a) throws IOException {
        if (a.rank() != 2) {
            throw new IllegalArgumentException("expected a 2-D array, found rank " + a.rank());
        }
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + a.size(0) + ", " + a.size(1) + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        float[] v = a.dup('c').castTo(DataType.FLOAT).data().asFloat();
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (float x : v) {
            b.putFloat(x);
        }
        b.flip();
        AtomicFiles.write(file, ch -> {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }
}
