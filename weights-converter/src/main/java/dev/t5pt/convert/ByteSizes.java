package dev.t5pt.convert;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as Hugging Face writes them: "5GB" (10^9), "500MB", "2GiB" (2^30), or plain bytes. */
public final class ByteSizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?I?B)?");

    private ByteSizes() {
    }

    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size such as 5GB, 500MB, 2GiB or a number of bytes, found '" + text + "'");
        }
        String unit = m.group(2) == null ? "B" : m.group(2);
        boolean binary = unit.contains("I");
        int power = "BKMGT".indexOf(unit.charAt(0));
        double scale = Math.pow(binary ? 1024 : 1000, power);
        double v = Double.parseDouble(m.group(1)) * scale;
        if (v < 1 || v > Long.MAX_VALUE) {
            throw new IllegalArgumentException("size '" + text + "' is out of range");
        }
        return (long) v;
    }
}
