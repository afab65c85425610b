package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.Signals;
import io.discagent.agent.spi.BurnControl;
import io.discagent.agent.spi.BurnPlan;
import io.discagent.api.RecorderId;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One burn on Linux, written by xorriso in its cooperating mode under the agent's claim:
 * {@code xorriso -drive_access shared:unrestricted -as cdrecord -v dev=/dev/srN tsize=<bytes> -}, the image fed on
 * its standard input from the agent's open image (so what is burned is exactly what the agent opened and hashed).
 * {@code -multi} leaves a write-once disc appendable, {@code -dummy} simulates, {@code speed=<n>k} asks for a speed.
 *
 * <h2>The process</h2>
 * A thread of its own ({@code discagent-burn-<dev>}) starts the tool through {@code setpriv --pdeathsig KILL}, feeds
 * it, and waits for it: the kernel's parent-death signal is tied to the thread that forked, and this one lives
 * exactly as long as the tool, so the tool dies with the agent however the agent ends. A second thread reads the
 * tool's output ({@link XorrisoOutput}) into progress. Stopping sends {@code SIGINT} (libburn then halts the drive and
 * releases it in order), then {@code SIGKILL} after the stop timeout; the burn reports its end only once the process
 * has exited and been reaped. The tray lock, which the tool's own PREVENT/ALLOW may have dropped, is asserted again.
 */
final class XorrisoBurn {

    private static final System.Logger LOG = System.getLogger(XorrisoBurn.class.getName());
    private static final AtomicInteger RUNS = new AtomicInteger();
    /**
     * A directory to keep each run's command line and complete output in (the VM tests record the real tool's output
     * this way for the parser's tests); unset, nothing is kept.
     */
    static final String TRANSCRIPTS = "discagent.linux.burnTranscripts";

    private final LinuxDevice device;
    private final RecorderId id;
    private final BurnPlan plan;
    private final BurnControl control;
    private final Path tool;
    private final Duration stopTimeout;
    private final Runnable relockTray;
    private final XorrisoOutput output;
    private final StringBuilder transcript = new StringBuilder();
    private volatile @Nullable Process process;

    /**
     * @param relockTray asserts the agent's tray lock again after the tool ended (the backend runs it on the
     *     recorder's worker)
     */
    XorrisoBurn(LinuxDevice device, BurnPlan plan, BurnControl control, Path tool, Duration stopTimeout,
            Runnable relockTray) {
        this.device = device;
        this.id = RecorderId.of(device.name());
        this.plan = plan;
        this.control = control;
        this.tool = tool;
        this.stopTimeout = stopTimeout;
        this.relockTray = relockTray;
        this.output = new XorrisoOutput(plan.source().size(), plan.media().profile());
    }

    /** The tool's arguments, after the program. */
    static List<String> arguments(BurnPlan plan, String devicePath) {
        List<String> args = new ArrayList<>(List.of("-drive_access", "shared:unrestricted", "-as", "cdrecord", "-v"));
        if (plan.simulate()) {
            args.add("-dummy");
        }
        if (!plan.closeDisc()) {
            args.add("-multi");
        }
        if (plan.writeSpeedKBps() > 0) {
            args.add("speed=" + plan.writeSpeedKBps() + "k");
        }
        args.add("dev=" + devicePath);
        args.add("tsize=" + plan.source().size());
        args.add("-");
        return args;
    }

    /** Starts the burn's thread; returns at once. */
    void start() {
        Thread thread = new Thread(this::run, "discagent-burn-" + device.name());
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        RecorderException failure;
        try {
            failure = burn();
        } catch (Throwable t) {
            failure = RecorderExceptions.create(HResult.E_FAIL, "running xorriso failed: " + t, id, null, null, t);
        }
        keepTranscript();
        RecorderException result = failure;
        control.onWorkerAfter(Duration.ZERO, relockTray);
        control.finished(result);
    }

    private @Nullable RecorderException burn() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        Path setpriv = LinuxBurnTool.onPath("setpriv");
        if (setpriv != null) {
            command.addAll(List.of(setpriv.toString(), "--pdeathsig", "KILL", "--"));
        } else {
            LOG.log(Level.WARNING, "setpriv (util-linux) is not installed: xorriso may outlive the agent if it is "
                    + "killed");
        }
        command.add(tool.toString());
        command.addAll(arguments(plan, device.node().toString()));
        transcript.append("$ ").append(String.join(" ", command)).append('\n');
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("LC_ALL", "C");
        Process p = builder.start();
        process = p;
        LOG.log(Level.DEBUG, "burn on {0}: {1} (pid {2})", device.node(), String.join(" ", command), p.pid());
        control.onCancel(this::stop);
        Thread reader = new Thread(() -> read(p), "discagent-burn-" + device.name() + "-output");
        reader.setDaemon(true);
        reader.start();
        feed(p);
        int exit = p.waitFor();
        reader.join(TimeUnit.SECONDS.toMillis(10));
        transcript.append("exit ").append(exit).append('\n');
        if (exit == 0 && output.completed()) {
            return null;
        }
        if (exit == 0) {
            return RecorderExceptions.create(HResult.E_FAIL, "xorriso ended without saying it wrote the image: "
                    + String.join(" | ", output.tail()), id, null, null, null);
        }
        return output.failure(exit, id, Files.exists(device.node()));
    }

    /** Writes the image to the tool's standard input, until it is all there or the burn stops. */
    private void feed(Process p) {
        try (OutputStream in = p.getOutputStream()) {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            while (!control.cancelRequested()) {
                buffer.clear();
                int n = plan.source().read(buffer);
                if (n < 0) {
                    break;
                }
                in.write(buffer.array(), 0, buffer.position());
            }
        } catch (IOException e) {
            // the tool stopped reading (it failed, or was stopped): its exit tells why
            LOG.log(Level.DEBUG, "feeding xorriso on {0} ended: {1}", device.node(), e.getMessage());
        }
    }

    /** Reads the tool's output (lines end with a newline or a carriage return) into progress. */
    private void read(Process p) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            StringBuilder line = new StringBuilder();
            for (int c; (c = lines.read()) >= 0; ) {
                if (c == '\n' || c == '\r') {
                    take(line.toString());
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
            take(line.toString());
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "reading xorriso's output on {0} ended: {1}", device.node(), e.getMessage());
        }
    }

    private void take(String line) {
        if (line.isBlank()) {
            return;
        }
        synchronized (transcript) {
            transcript.append(line).append('\n');
        }
        XorrisoOutput.Report report = output.line(line);
        if (report != null) {
            control.progress(report.phase(), report.bytesDone(), report.bytesPerSecond(), report.bufferPercent(),
                    null);
        }
    }

    /** The agent asked the burn to stop: {@code SIGINT} now, {@code SIGKILL} after the stop timeout. */
    private void stop() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        long pid = p.pid();
        LOG.log(Level.INFO, "stopping xorriso (pid {0}) on {1}: SIGINT, SIGKILL after {2} ms", pid, device.node(),
                stopTimeout.toMillis());
        Signals.send(pid, Signals.SIGINT); // setpriv execs the tool: this is xorriso's pid
        CompletableFuture.delayedExecutor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (p.isAlive()) {
                LOG.log(Level.WARNING, "xorriso (pid {0}) on {1} did not stop within {2} ms: SIGKILL", pid,
                        device.node(), stopTimeout.toMillis());
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        });
    }

    private void keepTranscript() {
        String dir = System.getProperty(TRANSCRIPTS);
        if (dir == null || dir.isBlank()) {
            return;
        }
        try {
            Path file = Path.of(dir).resolve(device.name() + "-" + RUNS.incrementAndGet() + ".txt");
            Files.createDirectories(file.getParent());
            synchronized (transcript) {
                Files.writeString(file, transcript);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "keeping the transcript of a burn failed", e);
        }
    }
}
