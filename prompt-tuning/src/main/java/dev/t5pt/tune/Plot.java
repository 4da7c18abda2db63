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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
        double[] yTicks = ticks(minY, maxY, 6);
        double[] xTicks = ticks(minX, maxX, 8);
        for (double v : yTicks) {
            int y = top + (int) Math.round((maxY - v) / (maxY - minY) * ph);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            String label = label(v, yTicks);
            g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), y + 4);
        }
        g.setColor(Color.DARK_GRAY);
        for (double v : xTicks) {
            int x = left + (int) Math.round((v - minX) / (maxX - minX) * pw);
            g.drawLine(x, top + ph, x, top + ph + 4);
            String label = label(v, xTicks);
            g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, top + ph + 18);
        }
        g.drawRect(left, top, pw, ph);
        g.drawString("step", left + pw / 2 - 10, h - 15);
        g.drawString(yLabel, 8, top - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left + 10, 24);
        // series drawn widest first, each later one thinner and dashed, with its own marker: where two series
        // coincide (exact match and accuracy on a label task) both stay visible
        int legendY = top + 16;
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            float width = series.size() == 1 ? 1.5f : Math.max(1.5f, 5f - 1.5f * k);
            g.setColor(s.color());
            g.setStroke(k == 0 ? new BasicStroke(width) : new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND,
                    1f, new float[]{8f + 2 * k, 4f}, 0f));
            int px = -1;
            int py = -1;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                int x = left + (int) Math.round((s.x()[i] - minX) / (maxX - minX) * pw);
                int y = top + (int) Math.round((maxY - s.y()[i]) / (maxY - minY) * ph);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                if (s.x().length < 60) {
                    marker(g, k, x, y);
                }
                px = x;
                py = y;
            }
            g.setStroke(new BasicStroke(width));
            g.drawLine(left + pw - 170, legendY - 4, left + pw - 140, legendY - 4);
            marker(g, k, left + pw - 155, legendY - 4);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(s.name(), left + pw - 132, legendY);
            legendY += 18;
        }
        g.dispose();
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        // in memory: ImageIO's default file cache for streams registers a shutdown hook, which fails while
        // Ctrl-C's shutdown waits for the trainer's last writes
        ImageIO.setUseCache(false);
        ImageIO.write(img, "png", png);
        AtomicFiles.writeBytes(file, png.toByteArray());
    }

    /** loss.png (train loss per step) and dev.png (dev metrics per evaluation). */
    static void ofRun(Path metrics, boolean withDev) throws IOException {
        List<String> lines = Files.readAllLines(metrics);
        List<double[]> loss = new ArrayList<>();
        List<double[]> dev = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split(",", -1);
            if (c.length < 8) {
                continue;
            }
            double s = Double.parseDouble(c[0]);
            loss.add(new double[]{s, Double.parseDouble(c[1])});
            if (!c[5].isEmpty()) {
                dev.add(new double[]{s, Double.parseDouble(c[5]), Double.parseDouble(c[6]), Double.parseDouble(c[7])});
            }
        }
        Path dir = metrics.getParent();
        write(dir.resolve("loss.png"), "training loss", "loss",
                List.of(series("train loss", loss, 1, new Color(31, 119, 180))));
        if (!withDev) {
            return;
        }
        write(dir.resolve("dev.png"), "dev metrics", "score", List.of(
                series("exact match", dev, 1, new Color(214, 39, 40)),
                series("accuracy", dev, 2, new Color(44, 160, 44)),
                series("macro-F1", dev, 3, new Color(148, 103, 189))));
    }

    private static Series series(String name, List<double[]> rows, int col, Color color) {
        double[] x = new double[rows.size()];
        double[] y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[i] = rows.get(i)[0];
            y[i] = rows.get(i)[col];
        }
        return new Series(name, x, y, color);
    }

    /** Circle, square, triangle, diamond, by series. */
    private static void marker(Graphics2D g, int k, int x, int y) {
        switch (k % 4) {
            case 0 -> g.fillOval(x - 4, y - 4, 8, 8);
            case 1 -> g.fillRect(x - 3, y - 3, 7, 7);
            case 2 -> g.fillPolygon(new int[]{x - 4, x + 4, x}, new int[]{y + 3, y + 3, y - 4}, 3);
            default -> g.fillPolygon(new int[]{x - 4, x, x + 4, x}, new int[]{y, y - 4, y, y + 4}, 4);
        }
    }

    /** Round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi], about n of them. */
    static double[] ticks(double lo, double hi, int n) {
        double raw = (hi - lo) / Math.max(1, n);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        double first = Math.ceil(lo / step - 1e-9) * step;
        int count = (int) Math.floor((hi - first) / step + 1e-9) + 1;
        double[] t = new double[Math.max(0, count)];
        for (int i = 0; i < t.length; i++) {
            t[i] = first + i * step;
        }
        return t;
    }

    /** A tick's label with as many decimals as the tick spacing needs (0.25, 0.5 ... or 100, 200 ...). */
    static String label(double v, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", Math.abs(v) < step * 1e-9 ? 0.0 : v);
    }
}
