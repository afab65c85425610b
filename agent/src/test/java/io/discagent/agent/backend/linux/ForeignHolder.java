package io.discagent.agent.backend.linux;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The "other program" of the tests, run in its own JVM by {@link ChildJvm}:
 * <ul>
 * <li>{@code excl PATH}: holds an {@code O_EXCL} claim, like wodim or growisofs;</li>
 * <li>{@code posix PATH}: holds a POSIX write lock ({@code fcntl(F_SETLK)}), like libburn;</li>
 * <li>{@code agent PATH CLIENT}: runs a whole discagent with the Linux backend and acquires the device.</li>
 * </ul>
 * Prints {@code READY} when it holds, then waits until its standard input closes (or it is killed).
 */
public final class ForeignHolder {

    private ForeignHolder() {
    }

    public static void main(String[] args) throws IOException {
        String path = args[1];
        switch (args[0]) {
            case "excl" -> {
                DeviceFd fd = DeviceFd.open(path, Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL);
                System.out.println("READY fd " + fd.number());
            }
            case "posix" -> {
                DeviceFd fd = DeviceFd.open(path, Linux.O_RDWR | Linux.O_NONBLOCK);
                fd.setRecordLock(Linux.F_WRLCK);
                System.out.println("READY fd " + fd.number());
            }
            case "agent" -> {
                DiscAgent agent = DiscAgent.start(AgentOptions.builder().backend("linux")
                        .backendProperty("linux.devices", path).backendProperty("linux.scanOptical", "false")
                        .build()).block(Duration.ofSeconds(30));
                ClientSession session = agent.openSession(args[2]).block(Duration.ofSeconds(10));
                String id = Path.of(path).toRealPath().getFileName().toString();
                int count = session.acquire(RecorderId.of(id)).block(Duration.ofSeconds(10)).lockCount();
                System.out.println("READY count " + count);
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold until the parent closes our input or kills us
        }
        System.exit(0); // an agent's threads would keep the JVM alive
    }
}
