package io.discagent.service;

import io.discagent.agent.backend.linux.GuestTranscript;
import io.discagent.agent.backend.linux.HostSteps;
import io.discagent.agent.backend.linux.TracedTool;
import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Runs inside the VM guest ({@code ExecVmTests}): {@code discagent exec} on the real {@code sr} driver, standalone
 * and against a {@code discagent serve} in the guest. Under the hold, the cooperating invocations of xorriso and
 * cdrskin read the disc while every other tool is refused with nothing reaching the drive (each traced with strace);
 * heartbeats keep a short lease while the command runs; a tool that finds the drive busy gets the hint; a killed
 * {@code exec} takes its command with it and frees the drive (at once standalone, at the end of the lease with a
 * service). Reports through {@link GuestTranscript}.
 */
public final class ExecGuestScenario {

    private static final Duration RUN = Duration.ofSeconds(240);
    private static final Duration TOOL = Duration.ofSeconds(60);
    private static final String SERVICE = "http://127.0.0.1:8731";

    /** The invocations that cooperate with the held claim, and must read the disc under it. */
    static final Map<String, List<String>> COOPERATING = new LinkedHashMap<>();
    /** Every other way in: refused under the hold, the command's own tools included. */
    static final Map<String, List<String>> REFUSED = new LinkedHashMap<>();

    static {
        COOPERATING.put("xorriso.shared", List.of("xorriso", "-drive_access", "shared:unrestricted", "-outdev",
                "/dev/sr0", "-toc"));
        COOPERATING.put("cdrskin.not-exclusive", List.of("cdrskin", "--drive_not_exclusive", "dev=/dev/sr0",
                "-toc"));
        COOPERATING.put("xorriso.shared.as-cdrecord", List.of("xorriso", "-drive_access", "shared:unrestricted",
                "-as", "cdrecord", "dev=/dev/sr0", "-toc"));
        REFUSED.put("xorriso.sr", List.of("xorriso", "-outdev", "/dev/sr0", "-toc"));
        REFUSED.put("xorriso.sg", List.of("xorriso", "-scsi_dev_family", "sg", "-outdev", "/dev/sg0", "-toc"));
        REFUSED.put("xorriso.shared.sg", List.of("xorriso", "-drive_access", "shared:unrestricted",
                "-scsi_dev_family", "sg", "-outdev", "/dev/sg0", "-toc"));
        REFUSED.put("cdrskin.sr", List.of("cdrskin", "dev=/dev/sr0", "-toc"));
        REFUSED.put("cdrskin.not-exclusive.sg", List.of("cdrskin", "--drive_not_exclusive", "dev=/dev/sg0",
                "-toc"));
        REFUSED.put("wodim.sr", List.of("wodim", "dev=/dev/sr0", "-toc"));
        REFUSED.put("wodim.sg", List.of("wodim", "dev=/dev/sg0", "-toc"));
        REFUSED.put("sg_inq.sg", List.of("sg_inq", "/dev/sg0"));
        REFUSED.put("eject.sr", List.of("eject", "/dev/sr0"));
        REFUSED.put("mount.sr", List.of("mount", "-t", "iso9660", "-o", "ro", "/dev/sr0", "/tmp/exec-mnt"));
    }

    private final GuestTranscript out;
    private final HostSteps host;
    private final Path job;
    private final Path traces;
    private final HttpClient http = HttpClient.newHttpClient();

    private ExecGuestScenario(GuestTranscript out, HostSteps host, Path job) {
        this.out = out;
        this.host = host;
        this.job = job;
        this.traces = job.resolve("traces");
    }

    /** {@code args}: the job share. */
    public static void main(String[] args) {
        GuestTranscript out = new GuestTranscript();
        Path job = Path.of(args[0]);
        out.runAndExit("exec scenario starts", () -> new ExecGuestScenario(out, new HostSteps(job, out), job).run());
    }

    private void run() throws IOException {
        Files.createDirectories(traces);
        Files.createDirectories(Path.of("/tmp/exec-mnt"));
        out.log("standalone exec with the tools");
        standalone();
        out.log("standalone exec killed");
        killedStandalone();
        out.log("discagent serve");
        try (CliProcess service = CliProcess.start("serve", "--backend", "linux")) {
            boolean up = await(Duration.ofSeconds(120), () -> service.out().contains("discagent is serving"));
            out.check("service.started", up, up ? service.out().lines().findFirst().orElse("") : service.err());
            if (up) {
                out.log("exec through the service");
                throughTheService();
                out.log("exec through the service killed");
                killedThroughTheService();
            }
        }
    }

    /** Standalone: the cooperating tools read the disc, every other tool is refused, the status comes back. */
    private void standalone() throws IOException {
        StringBuilder script = new StringBuilder("#!/bin/sh\n");
        script.append("echo \"$DISCAGENT_RECORDER|$DISCAGENT_DEVICE|$DISCAGENT_SG_DEVICE|$DISCAGENT_DEVICE_PATHS|"
                + "$DISCAGENT_CLIENT_NAME\" > ").append(traces.resolve("env")).append('\n');
        COOPERATING.forEach((label, command) -> script.append(TracedTool.shellLine("exec." + label, traces, TOOL,
                command)).append('\n'));
        REFUSED.forEach((label, command) -> script.append(TracedTool.shellLine("exec." + label, traces, TOOL,
                command)).append(" &\n"));
        script.append("wait\n");
        // the drive as the host sees it, while still held
        script.append("touch ").append(job.resolve("req-90-query.under-exec")).append("\n")
                .append("while [ ! -e ").append(job.resolve("ack-90-query.under-exec")).append(" ]; do sleep 0.2; "
                        + "done\n")
                .append("exit 3\n");
        Path file = traces.resolve("under-exec.sh");
        Files.writeString(file, script);
        long started = System.nanoTime();
        try (CliProcess exec = CliProcess.start("exec", "--standalone", "--recorder", "sr0", "--client-name",
                "Exec Burner", "--", "sh", file.toString())) {
            int status = exec.exitStatus(RUN);
            out.observe("exec.standalone-ms", Duration.ofNanos(System.nanoTime() - started).toMillis());
            out.check("exec.status", status == 3, "exit status " + status + "; stderr: " + tail(exec.err()));
        }
        String env = read(traces.resolve("env"));
        out.check("exec.env", "sr0|/dev/sr0|/dev/sg0|/dev/sr0 /dev/sg0|Exec Burner".equals(env), env);
        COOPERATING.forEach((label, command) -> {
            TracedTool run = TracedTool.read("exec." + label, traces, command);
            out.check("exec.cooperating." + label, run.exit() == 0 && run.commandsReachingTheDrive() > 0
                    && run.output().contains("Media summary"), run.summary());
        });
        REFUSED.forEach((label, command) -> {
            TracedTool run = TracedTool.read("exec." + label, traces, command);
            out.check("exec.refused." + label, run.refusedWithoutReachingTheDrive(), run.summary());
        });
        String underExec = read(job.resolve("ack-90-query.under-exec"));
        out.check("exec.qmp-locked-under-exec", underExec.contains("locked=true") && underExec.contains(
                "tray_open=false"), underExec);
    }

    /** SIGKILL of a standalone exec: its command dies with it, the kernel frees the drive and the tray. */
    private void killedStandalone() {
        try (CliProcess exec = CliProcess.start("exec", "--standalone", "--", "sleep", "600")) {
            boolean running = await(Duration.ofSeconds(120), () -> exec.descendant("sleep").isPresent()
                    || !exec.handle().isAlive());
            if (!running || exec.descendant("sleep").isEmpty()) {
                out.check("exec.killed.command-gone", false, "the command did not start: " + tail(exec.err()));
                return;
            }
            ProcessHandle sleeper = exec.descendant("sleep").orElseThrow();
            out.observe("exec.killed.held-before", host.ask("query.exec-holding"));
            exec.handle().destroyForcibly();
            long killed = System.nanoTime();
            boolean gone = await(Duration.ofSeconds(5), () -> !sleeper.isAlive());
            out.check("exec.killed.command-gone", gone, "sleep (pid " + sleeper.pid() + ") gone " + (gone
                    ? Duration.ofNanos(System.nanoTime() - killed).toMillis() + " ms after the SIGKILL" : "never"));
            boolean free = await(Duration.ofSeconds(5), ExecGuestScenario::claimable);
            out.check("exec.killed.drive-free", free, "an O_EXCL open of /dev/sr0 and of /dev/sg0 works "
                    + Duration.ofNanos(System.nanoTime() - killed).toMillis() + " ms after the SIGKILL");
            String state = host.ask("query.after-exec-killed");
            out.check("exec.killed.tray-unlocked", state.contains("locked=false"), state);
        }
    }

    /**
     * Against the service: heartbeats keep a short lease (6 s, long enough for a JVM under emulation to send them
     * in time) while the command runs for more than twice as long; its last tool asks for exclusive access, fails
     * finding the drive busy, and exec passes its status on with the hint.
     */
    private void throughTheService() throws IOException {
        Path script = traces.resolve("under-service.sh");
        Files.writeString(script, "#!/bin/sh\n" + TracedTool.shellLine("service.xorriso.shared", traces, TOOL,
                COOPERATING.get("xorriso.shared")) + "\nsleep 15\nexec xorriso -outdev /dev/sr0 -toc\n");
        try (CliProcess exec = CliProcess.start("exec", "--url", SERVICE, "--recorder", "sr0", "--ttl", "6s",
                "--client-name", "Exec Service", "--", "sh", script.toString())) {
            boolean held = await(RUN, () -> "Exec Service".equals(owner()) || !exec.handle().isAlive());
            out.check("service.held-by-exec", held && exec.handle().isAlive(), "owner " + owner());
            int status = exec.exitStatus(RUN);
            out.check("service.status", status == 5, "exit status " + status + " (xorriso's)");
            out.check("exec.hint", exec.err().contains("discagent exec: the command found the drive busy")
                    && exec.err().contains("xorriso -drive_access shared:unrestricted -outdev /dev/sr0"),
                    tail(exec.err()));
            TracedTool run = TracedTool.read("service.xorriso.shared", traces, COOPERATING.get("xorriso.shared"));
            out.check("service.cooperating.xorriso.shared", run.exit() == 0 && run.commandsReachingTheDrive() > 0,
                    run.summary());
            out.check("service.lease-kept", !exec.err().contains("stopping the command")
                    && !exec.err().contains("closed the session"), "stderr: " + tail(exec.err()));
        }
        out.check("service.free-after", await(Duration.ofSeconds(10), () -> owner() == null), "owner " + owner());
    }

    /** SIGKILL of exec against the service: the command dies at once, the lease ends and frees the drive. */
    private void killedThroughTheService() {
        try (CliProcess exec = CliProcess.start("exec", "--url", SERVICE, "--recorder", "sr0", "--ttl", "6s", "--",
                "sleep", "600")) {
            boolean running = await(RUN, () -> exec.descendant("sleep").isPresent() || !exec.handle().isAlive());
            if (!running || exec.descendant("sleep").isEmpty()) {
                out.check("service.killed.command-gone", false, "the command did not start: " + tail(exec.err()));
                return;
            }
            ProcessHandle sleeper = exec.descendant("sleep").orElseThrow();
            exec.handle().destroyForcibly();
            long killed = System.nanoTime();
            boolean gone = await(Duration.ofSeconds(5), () -> !sleeper.isAlive());
            out.check("service.killed.command-gone", gone, "sleep gone " + Duration.ofNanos(System.nanoTime()
                    - killed).toMillis() + " ms after the SIGKILL; owner then: " + owner());
            boolean freed = await(Duration.ofSeconds(30), () -> owner() == null);
            out.check("service.killed.lease-frees", freed, "owner null " + Duration.ofNanos(System.nanoTime()
                    - killed).toMillis() + " ms after the SIGKILL (lease 6 s)");
        }
    }

    /** The owner the service reports for sr0, or {@code null}. */
    private String owner() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(SERVICE
                    + "/api/v1/recorders/sr0/owner")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new JsonObject(response.body()).getString("owner");
        } catch (IOException | RuntimeException e) {
            return "(no answer: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    /** Whether both nodes can be claimed now (nothing holds the drive). */
    private static boolean claimable() {
        for (String node : List.of("/dev/sr0", "/dev/sg0")) {
            try {
                DeviceFd.open(node, Linux.O_RDWR | Linux.O_NONBLOCK | Linux.O_EXCL).close();
            } catch (NativeCallException e) {
                return false;
            }
        }
        return true;
    }

    private static boolean await(Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(100); // a process or the service in the guest, bounded by the limit
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            return "(" + file + " unreadable: " + e + ")";
        }
    }

    private static String tail(String text) {
        List<String> lines = new ArrayList<>(text.lines().toList());
        return String.join(" / ", lines.subList(Math.max(0, lines.size() - 6), lines.size()));
    }
}
