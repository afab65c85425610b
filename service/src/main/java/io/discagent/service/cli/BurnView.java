package io.discagent.service.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * How {@code discagent burn} shows a burn's progress (the {@code progress} object of {@code GET /api/v1/burns/{bid}}):
 * a {@link Bar} redrawn in place on a terminal, or {@link Lines} (one per phase and per tenth done) for logs and pipes.
 */
sealed interface BurnView permits BurnView.Bar, BurnView.Lines {

    /** Shows the latest progress (it may be the same as the last one). */
    void show(@Nullable JsonObject progress);

    /** The burn has ended: leaves the output at the start of a line. */
    void end();

    /** "WRITING 42.0% 5.5 MB/s, 0:12 left" and the like. */
    static String describe(JsonObject progress) {
        StringBuilder text = new StringBuilder(progress.getString("phase", "?"));
        text.append(String.format(Locale.ROOT, " %5.1f%%", progress.getDouble("percent", 0.0)));
        long speed = progress.getLong("bytesPerSecond", 0L);
        if (speed > 0) {
            text.append(String.format(Locale.ROOT, "  %.1f MB/s", speed / 1_000_000.0));
        }
        int buffer = progress.getInteger("bufferPercent", -1);
        if (buffer >= 0) {
            text.append("  buffer ").append(buffer).append('%');
        }
        Long remaining = progress.getLong("remainingMillis");
        if (remaining != null) {
            long seconds = (remaining + 999) / 1000;
            text.append(String.format(Locale.ROOT, "  ETA %d:%02d", seconds / 60, seconds % 60));
        }
        return text.toString();
    }

    /** A progress bar redrawn in place with a carriage return. */
    final class Bar implements BurnView {

        private static final int WIDTH = 30;
        private final PrintWriter out;
        private int lastLength;

        Bar(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void show(@Nullable JsonObject progress) {
            if (progress == null) {
                return;
            }
            int filled = (int) Math.round(Math.max(0, Math.min(100, progress.getDouble("percent", 0.0))) * WIDTH
                    / 100);
            String line = "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + describe(progress);
            out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
            out.flush();
            lastLength = line.length();
        }

        @Override
        public void end() {
            if (lastLength > 0) {
                out.println();
                out.flush();
            }
        }
    }

    /** One line when the phase changes and at each tenth of a phase. */
    final class Lines implements BurnView {

        private final PrintWriter out;
        private @Nullable String phase;
        private int tenth = -1;

        Lines(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void show(@Nullable JsonObject progress) {
            if (progress == null) {
                return;
            }
            String now = progress.getString("phase", "?");
            int tenthNow = (int) (progress.getDouble("percent", 0.0) / 10);
            if (!now.equals(phase) || tenthNow > tenth) {
                phase = now;
                tenth = tenthNow;
                out.println(describe(progress));
                out.flush();
            }
        }

        @Override
        public void end() {
            out.flush();
        }
    }
}
