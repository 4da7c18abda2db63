package dev.t5pt;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** t5pt's version, as Maven built it (recorded in every run directory). */
public final class Version {
    public static final String T5PT = read();

    private Version() {
    }

    private static String read() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
