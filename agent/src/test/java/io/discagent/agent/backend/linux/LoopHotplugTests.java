package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernel uevents, received on the agent's own netlink socket (no udevd): attaching a backing file to a configured
 * loop device makes it arrive, detaching it makes it leave. Needs root; skipped otherwise.
 */
class LoopHotplugTests {

    private static final Duration BLOCK = LinuxAgentFixture.BLOCK;

    @TempDir
    Path dir;
    private Path node;
    private Path backing;
    private LinuxAgentFixture fixture;

    @BeforeEach
    void pickAFreeLoopDevice() {
        LoopDevice.assumeUsable();
        node = Path.of(Shell.ok("losetup", "-f"));
        backing = LoopDevice.backingFile(dir);
    }

    @AfterEach
    void cleanUp() {
        if (fixture != null) {
            fixture.close();
        }
        if (node != null && backing.toString().equals(Sysfs.read(Path.of("/sys/class/block",
                node.getFileName().toString(), "loop", "backing_file")))) {
            Shell.run("losetup", "-d", node.toString());
        }
    }

    @Test
    void attachingAndDetachingALoopDeviceArrivesAndLeaves() {
        RecorderId id = RecorderId.of(node.getFileName().toString());
        fixture = LinuxAgentFixture.start(node);
        assertThat(fixture.recorderIds()).as("not attached yet").doesNotContain(id);

        long attached = System.nanoTime();
        Shell.ok("losetup", node.toString(), backing.toString());
        RecorderArrivedEvent arrived = fixture.awaitEvent(RecorderArrivedEvent.class, e -> e.recorder().equals(id),
                Duration.ofSeconds(10));
        System.out.println("loop attach -> RecorderArrivedEvent after "
                + Duration.ofNanos(System.nanoTime() - attached).toMillis() + " ms");
        assertThat(arrived.info().paths()).containsExactly(node.toString());
        assertThat(fixture.recorderIds()).contains(id);
        ClientSession session = fixture.session("Burner A");
        assertThat(session.acquire(id).block(BLOCK).lockCount()).isEqualTo(1);
        assertThat(session.release(id).block(BLOCK)).isZero();

        long detached = System.nanoTime();
        Shell.ok("losetup", "-d", node.toString());
        RecorderRemovedEvent removed = fixture.awaitEvent(RecorderRemovedEvent.class, e -> e.recorder().equals(id),
                Duration.ofSeconds(10));
        System.out.println("loop detach -> RecorderRemovedEvent after "
                + Duration.ofNanos(System.nanoTime() - detached).toMillis() + " ms");
        assertThat(removed.lastOwner()).isNull();
        assertThat(fixture.recorderIds()).doesNotContain(id);
    }
}
