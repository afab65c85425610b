package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.SimulatedCall;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockState;
import io.discagent.api.RecorderId;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.error.VolumeMountedException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** IMAPI2's exclusive-access semantics: counts, owners, one native call per transition. */
class LockCountTests {

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    private long nativeCalls(RecorderId id, String operation) {
        return t.sim.calls().stream().filter(c -> c.recorder().equals(id) && c.operation().equals(operation)).count();
    }

    @Test
    void nAcquiresNeedNReleasesAndOnlyTheFirstAndLastAreNative() {
        ClientSession a = t.session("Kiosk A");
        for (int i = 1; i <= 5; i++) {
            StepVerifier.create(a.acquire(SIM0)).assertNext(g -> {
                assertThat(g.recorder()).isEqualTo(SIM0);
            }).verifyComplete();
        }
        assertThat(a.lockCount(SIM0).block()).isEqualTo(5);
        assertThat(nativeCalls(SIM0, "acquire")).isEqualTo(1);
        for (int expected = 4; expected >= 1; expected--) {
            assertThat(a.release(SIM0).block()).isEqualTo(expected);
            assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Kiosk A");
        }
        assertThat(nativeCalls(SIM0, "release")).isZero();
        assertThat(a.release(SIM0).block()).isZero();
        assertThat(nativeCalls(SIM0, "release")).isEqualTo(1);
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).locksTaken()).isEqualTo(1);
        assertThat(t.sim.state(SIM0).locksDropped()).isEqualTo(1);
    }

    @Test
    void theGrantCarriesTheNewCountAndAStableHoldId() {
        ClientSession a = t.session("Kiosk A");
        var first = a.acquire(SIM0).block();
        var second = a.acquire(SIM0).block();
        assertThat(first.lockCount()).isEqualTo(1);
        assertThat(second.lockCount()).isEqualTo(2);
        assertThat(second.holdId()).isEqualTo(first.holdId());
        a.release(SIM0).block();
        a.release(SIM0).block();
        assertThat(a.acquire(SIM0).block().holdId()).isNotEqualTo(first.holdId());
    }

    @Test
    void releaseAtZeroFailsTypedCallsNothingNativeAndStaysAtZero() {
        ClientSession a = t.session("Kiosk A");
        StepVerifier.create(a.release(SIM0)).expectErrorSatisfies(e -> {
            assertThat(e).isInstanceOf(LockNotHeldException.class);
            assertThat(((LockNotHeldException) e).hresult())
                    .isEqualTo(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION);
        }).verify();
        assertThat(nativeCalls(SIM0, "release")).isZero();
        assertThat(a.lockCount(SIM0).block()).isZero();

        a.acquire(SIM0).block();
        a.release(SIM0).block();
        StepVerifier.create(a.release(SIM0)).expectError(LockNotHeldException.class).verify();
        assertThat(nativeCalls(SIM0, "release")).isEqualTo(1);
        assertThat(a.lockCount(SIM0).block()).isZero();
    }

    @Test
    void releasingAnotherSessionsRecorderIsALockNotHeldNamingTheHolder() {
        ClientSession a = t.session("Kiosk A");
        ClientSession b = t.session("Kiosk B");
        a.acquire(SIM0).block();
        StepVerifier.create(b.release(SIM0)).expectErrorSatisfies(e -> {
            LockNotHeldException notHeld = (LockNotHeldException) e;
            // one code, one type: LockNotHeldException is always ERROR_INVALID_FUNCTION; the holder is named
            assertThat(notHeld.hresult()).isEqualTo(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION);
            assertThat(notHeld.owner()).contains("Kiosk A");
        }).verify();
        assertThat(a.lockCount(SIM0).block()).isEqualTo(1);
    }

    @Test
    void anotherSessionMeetsLockedWithTheOwnersNameAndTheCountsStayApart() {
        ClientSession a = t.session("Kiosk A");
        ClientSession b = t.session("Kiosk B");
        a.acquire(SIM0).block();
        a.acquire(SIM0).block();
        StepVerifier.create(b.acquire(SIM0)).expectErrorSatisfies(e -> {
            assertThat(e).isInstanceOf(RecorderLockedException.class);
            RecorderLockedException locked = (RecorderLockedException) e;
            assertThat(locked.hresult().code()).isEqualTo(0xC0AA0210);
            assertThat(locked.owner()).contains("Kiosk A");
            assertThat(locked.isTransient()).isTrue();
        }).verify();
        assertThat(b.lockCount(SIM0).block()).isZero();
        assertThat(a.lockCount(SIM0).block()).isEqualTo(2);
        assertThat(nativeCalls(SIM0, "acquire")).isEqualTo(1);
        // the other recorder is independent
        assertThat(b.acquire(SIM1).block().lockCount()).isEqualTo(1);
    }

    @Test
    void theOwnerIsTheHoldersNameTheExternalNameOrEmpty() {
        ClientSession a = t.session("Kiosk A");
        StepVerifier.create(t.agent.exclusiveAccessOwner(SIM0)).verifyComplete();
        a.acquire(SIM0).block();
        assertThat(t.agent.exclusiveAccessOwner(SIM0).block()).isEqualTo("Kiosk A");
        a.release(SIM0).block();
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        assertThat(t.agent.exclusiveAccessOwner(SIM0).block()).isEqualTo("wodim (pid 4242)");
        t.sim.unlockExternally(SIM0);
        StepVerifier.create(t.agent.exclusiveAccessOwner(SIM0)).verifyComplete();
    }

    @Test
    void anExternalHolderFailsTheAcquireWithItsName() {
        t.sim.lockExternally(SIM0, "growisofs (pid 77)");
        ClientSession a = t.session("Kiosk A");
        StepVerifier.create(a.acquire(SIM0)).expectErrorSatisfies(e ->
                assertThat(((RecorderLockedException) e).owner()).contains("growisofs (pid 77)")).verify();
        assertThat(a.lockCount(SIM0).block()).isZero();
        assertThat(t.agent.recorder(SIM0).block().lockState()).isEqualTo(LockState.external("growisofs (pid 77)"));
    }

    @Test
    void forceIsPassedToTheBackendAndNeverStealsFromAnotherSession() {
        ClientSession a = t.session("Kiosk A");
        ClientSession b = t.session("Kiosk B");
        t.sim.mountVolume(SIM0, "/media/disc");
        StepVerifier.create(a.acquire(SIM0)).expectErrorSatisfies(e -> {
            assertThat(e).isInstanceOf(VolumeMountedException.class);
            assertThat(((VolumeMountedException) e).hresult().code()).isEqualTo(0x80070016);
        }).verify();
        assertThat(a.acquire(SIM0, AcquireOptions.DEFAULT.withForce(true)).block().lockCount()).isEqualTo(1);
        assertThat(t.sim.state(SIM0).mountedAt()).isNull();
        StepVerifier.create(b.acquire(SIM0, AcquireOptions.DEFAULT.withForce(true)))
                .expectError(RecorderLockedException.class).verify();
        assertThat(t.agent.exclusiveAccessOwner(SIM0).block()).isEqualTo("Kiosk A");
    }

    @Test
    void aBadClientNameFailsBeforeAnythingHappens() {
        int callsBefore = t.sim.calls().size();
        StepVerifier.create(t.agent.openSession("no/slashes")).expectError(InvalidClientNameException.class).verify();
        StepVerifier.create(t.agent.openSession("x".repeat(64))).expectError(InvalidClientNameException.class).verify();
        assertThat(t.sim.calls()).hasSize(callsBefore);
        assertThat(t.agent.activity().block().sessions()).isZero();
    }

    @Test
    void anUnknownRecorderIsATypedError() {
        ClientSession a = t.session("Kiosk A");
        RecorderId nope = RecorderId.of("nope");
        StepVerifier.create(a.acquire(nope)).expectError(RecorderRemovedException.class).verify();
        StepVerifier.create(a.release(nope)).expectError(RecorderRemovedException.class).verify();
        StepVerifier.create(t.agent.exclusiveAccessOwner(nope)).expectErrorSatisfies(e ->
                assertThat(((RecorderRemovedException) e).hresult().code()).isEqualTo(0x80070037)).verify();
        StepVerifier.create(t.agent.recorder(nope)).expectError(RecorderRemovedException.class).verify();
    }

    @Test
    void closingASessionReleasesEverythingItHoldsWhateverTheCounts() {
        ClientSession a = t.session("Kiosk A");
        a.acquire(SIM0).block();
        a.acquire(SIM0).block();
        a.acquire(SIM1).block();
        a.close().block();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM1).nativeOwner()).isNull();
        assertThat(a.isOpen()).isFalse();
        StepVerifier.create(a.acquire(SIM0)).expectError(SessionClosedException.class).verify();
        a.close().block(); // twice is harmless
        ClientSession b = t.session("Kiosk B");
        assertThat(b.acquire(SIM0).block().lockCount()).isEqualTo(1);
    }

    @Test
    void recordersListTheirLockState() {
        ClientSession a = t.session("Kiosk A");
        a.acquire(SIM1).block();
        a.acquire(SIM1).block();
        var infos = t.agent.recorders().block();
        assertThat(infos).extracting(i -> i.id().value()).containsExactly("sim-0", "sim-1");
        assertThat(infos.get(0).lockState()).isEqualTo(LockState.FREE);
        assertThat(infos.get(1).lockState()).isEqualTo(LockState.held("Kiosk A", a.id(), 2));
        assertThat(infos.get(1).backend()).isEqualTo("simulated");
        assertThat(infos.get(1).vendor()).isEqualTo("DISCAGNT");
    }

    @Test
    void everyNativeCallRanOnItsRecordersNativeWorker() {
        ClientSession a = t.session("Kiosk A");
        a.acquire(SIM0).block();
        t.agent.exclusiveAccessOwner(SIM1).block();
        a.release(SIM0).block();
        List<SimulatedCall> calls = t.sim.calls();
        assertThat(calls).isNotEmpty();
        for (SimulatedCall call : calls) {
            String expected = call.recorder().value().equals("*") ? "discagent-native-control"
                    : "discagent-native-" + call.recorder().value();
            assertThat(call.thread()).as(call.toString()).isEqualTo(expected);
        }
    }
}
