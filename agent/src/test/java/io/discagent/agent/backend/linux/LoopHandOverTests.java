package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * The hand-off between two clients of the agent on a real kernel, on a loop device: while one client releases and the
 * next one waits, a prober opens the device with {@code O_EXCL} as fast as it can (as wodim or an automounter would).
 * With the claim kept across hand-offs (the default) it never gets in; once the agent's queue is empty it does at once.
 * Needs root; skipped otherwise.
 */
class LoopHandOverTests {

    private static final Duration BLOCK = LinuxAgentFixture.BLOCK;
    private static final int HAND_OFFS = 300;

    @TempDir
    Path dir;
    private LoopDevice loop;
    private LinuxAgentFixture fixture;

    @BeforeEach
    void attachLoopDevice() {
        LoopDevice.assumeUsable();
        loop = LoopDevice.attach(dir);
    }

    @AfterEach
    void cleanUp() {
        if (fixture != null) {
            fixture.close();
        }
        if (loop != null) {
            loop.close();
        }
    }

    /** An outside program that tries {@code O_EXCL} opens in a loop and counts the ones that succeed. */
    private static final class Prober implements AutoCloseable {
        final AtomicLong attempts = new AtomicLong();
        final AtomicLong successes = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Prober(Path node) {
            thread = new Thread(() -> {
                while (running.get()) {
                    attempts.incrementAndGet();
                    try {
                        DeviceFd.open(node.toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL).close();
                        successes.incrementAndGet();
                    } catch (NativeCallException e) {
                        if (e.errno() != Linux.EBUSY) {
                            throw e;
                        }
                    }
                }
            }, "outside-prober");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(BLOCK.toMillis());
        }
    }

    /** Passes the device back and forth between two sessions; returns what the prober achieved meanwhile. */
    private Prober handOffsUnderProbe(String handOver) throws InterruptedException {
        fixture = LinuxAgentFixture.start(AgentOptions.builder()
                .backend("linux")
                .backendProperty("linux.devices", loop.node.toString())
                .backendProperty("linux.scanOptical", "false")
                .backendProperty("linux.handOver", handOver)
                .build(), event -> { });
        RecorderId id = RecorderId.of(loop.name);
        ClientSession a = fixture.session("Client A");
        ClientSession b = fixture.session("Client B");
        a.acquire(id).block(BLOCK);
        Prober prober = new Prober(loop.node);
        ClientSession holder = a;
        ClientSession next = b;
        try {
            for (int i = 0; i < HAND_OFFS; i++) {
                Mono<LockGrant> waiting = next.acquire(id, AcquireOptions.waitUpTo(BLOCK)).cache();
                waiting.subscribe();
                long deadline = System.nanoTime() + BLOCK.toNanos();
                while (fixture.agent.activity().block(BLOCK).waiting() == 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertThat(holder.release(id).block(BLOCK)).isZero();
                assertThat(waiting.block(BLOCK).lockCount()).isEqualTo(1);
                ClientSession swap = holder;
                holder = next;
                next = swap;
            }
        } finally {
            prober.close(); // before the last release: from then on the drive is free for outside programs
        }
        holder.release(id).block(BLOCK);
        return prober;
    }

    @Test
    void noOutsideExclusiveOpenGetsInDuringHandOffs() throws InterruptedException {
        Prober prober = handOffsUnderProbe("keep");
        System.out.printf("keep: %d O_EXCL attempts during %d hand-offs, %d succeeded%n", prober.attempts.get(),
                HAND_OFFS, prober.successes.get());
        assertThat(prober.attempts.get()).as("the prober ran").isGreaterThan(HAND_OFFS);
        assertThat(prober.successes.get()).as("outside O_EXCL opens that succeeded during hand-offs").isZero();
        assertThat(fixture.agent.statistics().handOvers()).isEqualTo(HAND_OFFS);
        // the agent's queue is empty: outside programs get the drive at once
        DeviceFd.open(loop.node.toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL).close();
    }

    @Test
    void droppingTheClaimAtEachHandOffLetsOutsideOpensIn() throws InterruptedException {
        Prober prober = handOffsUnderProbe("reacquire");
        System.out.printf("reacquire: %d O_EXCL attempts during %d hand-offs, %d succeeded%n",
                prober.attempts.get(), HAND_OFFS, prober.successes.get());
        assertThat(prober.attempts.get()).as("the prober ran").isGreaterThan(HAND_OFFS);
        // the window is only the time between two system calls on the native worker, but a prober that hits it once
        // holds the drive while the next client backs off (100 ms and more), and gets in again and again meanwhile
        assertThat(prober.successes.get()).as("outside O_EXCL opens that succeeded during hand-offs").isPositive();
    }
}
