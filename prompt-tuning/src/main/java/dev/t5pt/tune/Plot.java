package dev.t5pt.tune;

import dev.t5pt.io.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** A line chart of one or more series against the step, written as PNG (headless Java2D). */
final class Plot {
    record Series(String name, double[] x, double[] y, Color color) {
    }

    private Plot() {
    }

    static void write(Path file, String title, String yLabel, List<Series> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 800;
        int h = 480;
        int left = 80;
        int right = 20;
        int top = 40;
        int bottom = 60;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double minY = Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.y()[i])) {
                    minX = Math.min(minX, s.x()[i]);
                    maxX = Math.max(maxX, s.x()[i]);
                    minY = Math.min(minY, s.y()[i]);
                    maxY = Math.max(maxY, s.y()[i]);
                }
            }
        }
        if (minX > maxX) {
            minX = 0;
            maxX = 1;
            minY = 0;
            maxY = 1;
        }
        if (maxX == minX) {
            maxX = minX + 1;
        }
        if (maxY == minY) {
            maxY = minY + 1;
            minY = minY - 1;
        }
        double padY = (maxY - minY) * 0.05;
        minY -= padY;
        maxY += padY;
        int pw = w - left - right;
        int ph = h - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(new Color(230, 230, 230));
        for (int i = 0; i <= 5; i++) {
            int y = top + ph * i / 5;
            g.drawLine(left, y, left + pw, y);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, pw, ph);
        for (int i = 0; i <= 5; i++) {
            double v = maxY - (maxY - minY) * i / 5;
            g.drawString(String.format(Locale.ROOT, "%.3g", v), 8, top + ph * i / 5 + 4);
            double xv = minX + (maxX - minX) * i / 5;
            g.drawString(String.format(Locale.ROOT, "%.0f", xv), left + pw * i / 5 - 10, top + ph + 18);
        }
        g.drawString("step", left + pw / 2 - 10, h - 15);
        g.drawString(yLabel, 8, top - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left + 10, 24);
        g.setStroke(new BasicStroke(2f));
        int legendY = top + 16;
        for (Series s : series) {
            g.setColor(s.color());
            int px = -1;
            int py = -1;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                int x = left + (int) ((s.x()[i] - minX) / (maxX - minX) * pw);
                int y = top + (int) ((maxY - s.y()[i]) / (maxY - minY) * ph);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                if (s.x().length < 60) {
                    g.fillOval(x - 3, y - 3, 6, 6);
                }
                px = x;
                py = y;
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(s.name(), left + pw - 150, legendY);
            legendY += 16;
        }
        g.dispose();
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        // in memory: ImageIO's default file cache for streams registers a shutdown hook, which fails while
        // Ctrl-C's shutdown waits for the trainer's last writes
        ImageIO.setUseCache(false);
        ImageIO.write(img, "png", png);
        AtomicFiles.writeBytes(file, png.toByteArray());
    }
}
