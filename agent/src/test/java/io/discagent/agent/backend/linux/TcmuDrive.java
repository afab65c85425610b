package io.discagent.agent.backend.linux;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The recordable DVD+RW drive of the guest: the {@code tcmu-mmc} program ({@code agent/src/test/tcmu/tcmu-mmc.c},
 * built by {@link TcmuDriveVmTests} into the job share) serving a TCMU backstore that {@code tcm_loop} exposes to the
 * kernel's {@code sr} and {@code sg} drivers. Starts it, sends it fault orders over its control socket and reads its
 * command log (one line per SCSI command it answered).
 */
final class TcmuDrive implements AutoCloseable {

    private final Process process;
    private final Path control;
    private final Path log;
    private final String sr;
    private final String sg;

    private TcmuDrive(Process process, Path control, Path log, String sr, String sg) {
        this.process = process;
        this.control = control;
        this.log = log;
        this.sr = sr;
        this.sg = sg;
    }

    /** Starts the drive with a blank disc of {@code blocks} 2 KiB blocks in {@code image}; waits for the kernel. */
    static TcmuDrive start(Path program, Path image, long blocks, Path log, Path control, Duration limit) {
        try {
            Process p = new ProcessBuilder(program.toString(), "serve", "--image", image.toString(), "--blocks",
                    Long.toString(blocks), "--log", log.toString(), "--control", control.toString())
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            String line;
            try {
                line = ready.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
                throw new IllegalStateException("tcmu-mmc did not become ready within " + limit + ": " + e);
            }
            if (line == null || !line.startsWith("ready ")) {
                p.destroyForcibly();
                throw new IllegalStateException("tcmu-mmc did not start: " + line);
            }
            String[] words = line.split(" ");
            Thread drain = new Thread(() -> {
                try {
                    while (out.readLine() != null) {
                        // nothing more is expected on stdout; keep the pipe from filling
                    }
                } catch (IOException ignored) {
                    // the program ended
                }
            }, "tcmu-mmc-stdout");
            drain.setDaemon(true);
            drain.start();
            return new TcmuDrive(p, control, log, words[1], words[2]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The kernel name of the block node ({@code sr1}). */
    String sr() {
        return sr;
    }

    /** The kernel name of the SCSI generic node ({@code sg1}). */
    String sg() {
        return sg;
    }

    /** Sends one order (see the program's header) and returns its one-line answer. */
    String order(String order) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(control));
            channel.write(ByteBuffer.wrap((order + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            ByteBuffer answer = ByteBuffer.allocate(2048);
            while (channel.read(answer) >= 0 && answer.hasRemaining()) {
                // read to the end
            }
            answer.flip();
            return StandardCharsets.UTF_8.decode(answer).toString().trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One field of the {@code status} answer ({@code writes}, {@code prevented}, ...), or -1. */
    long status(String field) {
        for (String word : order("status").split(" ")) {
            if (word.startsWith(field + "=")) {
                return Long.parseLong(word.substring(field.length() + 1));
            }
        }
        return -1;
    }

    /** Marks the command log, so that the lines after it belong to the next step. */
    void note(String text) {
        order("note " + text);
    }

    /** The command log so far. */
    List<String> log() {
        try {
            return Files.readAllLines(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The log lines from the note {@code text} on (up to the next note). */
    List<String> logSince(String text) {
        List<String> all = log();
        int from = -1;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).endsWith("NOTE " + text)) {
                from = i;
            }
        }
        if (from < 0) {
            return List.of();
        }
        List<String> after = all.subList(from + 1, all.size());
        int to = 0;
        while (to < after.size() && !after.get(to).contains(" NOTE ")) {
            to++;
        }
        return after.subList(0, to);
    }

    /** The distinct operation codes (first CDB byte, hex) answered in {@code lines}, with their names. */
    static String opcodes(List<String> lines) {
        return lines.stream().map(l -> l.split(" "))
                .filter(w -> w.length >= 6 && w[3].equals("->") && w[1].chars().allMatch(Character::isDigit))
                .map(w -> w[2].substring(0, 2) + (w.length > 6 ? " " + String.join(" ",
                        List.of(w).subList(w[4].equals("GOOD") ? 7 : 6, w.length)) : ""))
                .distinct().sorted().collect(Collectors.joining(", "));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                order("quit");
            } catch (UncheckedIOException ignored) {
                // already gone
            }
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
