package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.Disposable;

/**
 * Native faults through the simulator: every injected HRESULT reaches the caller as the typed exception the API's
 * own mapping names, with its code, on the loop; a dead handle is not a dead device; hung calls time out, stall only
 * their recorder, make non-waiting requests fail fast, and are reconciled when they return; nothing leaks.
 */
class FaultAdversaryTests {

    static List<HResult> injected() {
        return List.of(HResult.E_FAIL, HResult.E_OUTOFMEMORY, HResult.E_ACCESSDENIED, HResult.E_POINTER,
                HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION,
                HResult.HRESULT_FROM_WIN32_ERROR_TIMEOUT, HResult.E_IMAPI_RECORDER_LOCKED,
                HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT, HResult.E_IMAPI_RECORDER_MEDIA_BUSY,
                HResult.E_IMAPI_RECORDER_MEDIA_BECOMING_READY, HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA,
                HResult.E_IMAPI_REQUEST_CANCELLED, HResult.RPC_E_DISCONNECTED, HResult.RPC_E_WRONG_THREAD,
                HResult.E_INVALIDARG, HResult.E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID, HResult.of(0x80041234));
    }

    @ParameterizedTest
    @MethodSource("injected")
    void aFailedNativeAcquireIsTheTypedErrorOfItsHresultAndLeavesTheRecorderUsable(HResult hresult) {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            h.sim.failNext(SIM0, Operation.ACQUIRE, hresult, 1);
            Probe<LockGrant> probe = Probe.unbounded();
            a.acquire(SIM0).subscribe(probe);
            assertThat(probe.awaitTerminal(BLOCK)).isTrue();
            Throwable e = probe.error.get();
            RecorderException expected = RecorderExceptions.create(hresult, "x", SIM0, null, null, null);
            assertThat(e).isInstanceOf(expected.getClass());
            assertThat(((RecorderException) e).hresult().code()).isEqualTo(hresult.code());
            assertThat(((RecorderException) e).isTransient()).isEqualTo(expected.isTransient());
            assertThat(probe.threadSet()).containsOnly(h.loop.getName());
            assertThat(h.count(a, SIM0)).isZero();
            assertThat(a.acquire(SIM0).block(BLOCK).lockCount()).as("the recorder is usable after %s", hresult)
                    .isEqualTo(1);
            a.release(SIM0).block(BLOCK);
            assertThat(h.agent.recorders().block(BLOCK)).hasSize(2);
            h.assertQuiescentAndBalanced();
        }
    }

    @ParameterizedTest
    @MethodSource("injected")
    void aFailedNativeReleaseLeaksNoLock(HResult hresult) {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            a.acquire(SIM0).block(BLOCK);
            h.sim.failNext(SIM0, Operation.RELEASE, hresult, 1);
            Object answer;
            try {
                answer = a.release(SIM0).block(BLOCK);
            } catch (RecorderException e) {
                answer = e;
            }
            h.settle();
            int count = h.count(a, SIM0);
            System.out.println("release failing with " + hresult.name() + " -> " + answer + ", count " + count
                    + ", native " + h.sim.state(SIM0));
            if (count > 0) {
                a.release(SIM0).block(BLOCK);
            }
            assertThat(b.acquire(SIM0).block(BLOCK).lockCount()).as("another session after %s", hresult).isEqualTo(1);
            b.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void aDeadHandleIsNotADeadDevice() {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            Probe<DeviceEvent> devices = Probe.unbounded();
            h.agent.deviceEvents().subscribe(devices);
            h.sim.failNext(SIM0, Operation.ANY, HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, 3);
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> a.acquire(SIM0).block(BLOCK))
                        .isInstanceOf(io.discagent.api.error.InvalidHandleException.class);
            }
            assertThat(a.acquire(SIM0).block(BLOCK).lockCount()).isEqualTo(1);
            a.release(SIM0).block(BLOCK);
            h.settle();
            assertThat(devices.values).noneMatch(e -> e instanceof RecorderRemovedEvent);
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void aHungAcquireTimesOutStallsOnlyItsRecorderAndIsReconciledLater() {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            h.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
            Probe<LockGrant> hung = Probe.unbounded();
            a.acquire(SIM0).subscribe(hung);
            Probe<LockGrant> waiting = Probe.unbounded();
            b.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(5))).subscribe(waiting);
            h.test.advance(Duration.ofSeconds(10));
            assertThat(hung.awaitTerminal(BLOCK)).isTrue();
            assertThat(hung.error.get()).isInstanceOf(CommandTimeoutException.class);
            assertThat(b.acquire(SIM1).block(BLOCK).lockCount()).as("another recorder carries on").isEqualTo(1);
            long start = System.nanoTime();
            assertThatThrownBy(() -> a.acquire(SIM0).block(BLOCK)).as("a request that does not wait")
                    .isInstanceOf(CommandTimeoutException.class);
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms to fail fast").isLessThan(2000);
            assertThat(waiting.terminals.get()).as("the waiter stays in line").isZero();
            h.sim.releaseHangs(SIM0);
            h.settle();
            assertThat(waiting.values).as("served when the recorder responds").hasSize(1);
            assertThat(h.count(a, SIM0)).as("the late lock of the timed-out request").isZero();
            b.release(SIM0).block(BLOCK);
            b.release(SIM1).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void aHungReleaseLeavesNothingBehind() throws Exception {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            a.acquire(SIM0).block(BLOCK);
            h.sim.hangNext(SIM0, Operation.RELEASE, 1);
            Probe<Integer> release = Probe.unbounded();
            a.release(SIM0).subscribe(release);
            Probe<LockGrant> waiting = Probe.unbounded();
            b.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(waiting);
            // settle() cannot settle while a native call queues behind the hung one: move time by hand
            for (int i = 0; i < 50 && release.terminals.get() == 0; i++) {
                h.test.time.advanceTimeBy(Duration.ofSeconds(1));
                release.awaitTerminal(Duration.ofMillis(50));
            }
            assertThat(release.awaitTerminal(BLOCK)).as("the release was answered").isTrue();
            System.out.println("hung release -> " + (release.error.get() != null ? release.error.get()
                    : release.values) + "; count " + h.count(a, SIM0));
            h.sim.releaseHangs(SIM0);
            h.settle();
            assertThat(waiting.awaitTerminal(Duration.ofMillis(1)) || !waiting.values.isEmpty())
                    .as("the waiter was answered").isTrue();
            if (!waiting.values.isEmpty()) {
                b.release(waiting.values.get(0)).block(BLOCK);
            }
            if (h.count(a, SIM0) > 0) {
                a.release(SIM0).block(BLOCK);
            }
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void cancellingAcquiresRacingNativeLatencyLeaksNothing() throws Exception {
        try (Harness h = Harness.realTime(2, b -> { })) {
            ClientSession a = h.session("Alpha");
            h.sim.setLatency(SIM0, Duration.ofMillis(1));
            Random random = new Random();
            for (int i = 0; i < 300; i++) {
                Disposable d = a.acquire(SIM0).subscribe(g -> a.release(g).subscribe());
                java.util.concurrent.locks.LockSupport.parkNanos(random.nextInt(2_000_000));
                d.dispose();
            }
            h.sim.setLatency(SIM0, Duration.ZERO);
            h.settle();
            assertThat(h.count(a, SIM0)).isZero();
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void theSimulatorRefusesAnOutsideLockWhileTheAgentHolds() {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            a.acquire(SIM0).block(BLOCK);
            assertThatThrownBy(() -> h.sim.lockExternally(SIM0, "wodim"))
                    .isInstanceOf(RecorderLockedException.class)
                    .satisfies(e -> assertThat(((RecorderException) e).owner()).contains("Alpha"));
            a.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    /** Moves virtual time in 1 s steps (settle() cannot settle with a call queued behind a hung one). */
    private static void passTime(Harness h, Duration total) {
        for (long s = 0; s < total.toSeconds(); s++) {
            h.test.time.advanceTimeBy(Duration.ofSeconds(1));
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
        }
    }

    /**
     * README, threading model: "Whatever call hung (an acquire, a release, an owner query), a request that does not
     * wait fails fast while the recorder does not respond; a waiting request stays in line until its own deadline and
     * is served when the recorder responds again."
     */
    @Test
    void aWaiterBehindAHungReleaseIsServedWhenTheRecorderResponds() {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            a.acquire(SIM0).block(BLOCK);
            h.sim.hangNext(SIM0, Operation.RELEASE, 1);
            a.release(SIM0).subscribe(c -> { }, e -> { });
            Probe<LockGrant> waiter = Probe.unbounded();
            b.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(5))).subscribe(waiter);
            passTime(h, Duration.ofSeconds(30));
            assertThat(waiter.error.get()).as("a waiter with 5 minutes to wait, 30 s into a hung release").isNull();
            h.sim.releaseHangs(SIM0);
            assertThat(waiter.awaitValue(BLOCK)).as("served once the recorder responded").isTrue();
            b.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void aWaiterBehindAHungOwnerQueryIsServedWhenTheRecorderResponds() {
        try (Harness h = Harness.virtualTime()) {
            ClientSession b = h.session("Beta");
            h.sim.hangNext(SIM0, Operation.OWNER, 1);
            h.agent.exclusiveAccessOwner(SIM0).subscribe(o -> { }, e -> { });
            for (int i = 0; i < 200 && h.sim.state(SIM0).blockedCalls() == 0; i++) {
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
            }
            assertThat(h.sim.state(SIM0).blockedCalls()).as("the owner query is hung natively").isEqualTo(1);
            Probe<LockGrant> waiter = Probe.unbounded();
            b.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(5))).subscribe(waiter);
            passTime(h, Duration.ofSeconds(30));
            assertThat(waiter.error.get()).as("a waiter with 5 minutes to wait, 30 s into a hung owner query").isNull();
            h.sim.releaseHangs(SIM0);
            assertThat(waiter.awaitValue(BLOCK)).as("served once the recorder responded").isTrue();
            b.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

}
