package io.discagent.agent.backend.windows;

import static io.discagent.agent.backend.windows.Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS;
import static io.discagent.agent.backend.windows.Imapi2Call.COUNT;
import static io.discagent.agent.backend.windows.Imapi2Call.CREATE_DISC_RECORDER;
import static io.discagent.agent.backend.windows.Imapi2Call.EXCLUSIVE_ACCESS_OWNER;
import static io.discagent.agent.backend.windows.Imapi2Call.INITIALIZE_DISC_RECORDER;
import static io.discagent.agent.backend.windows.Imapi2Call.RELEASE;
import static io.discagent.agent.backend.windows.Imapi2Call.RELEASE_EXCLUSIVE_ACCESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.backend.windows.FakeMachine.Shape;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.VolumeMountedException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;

/**
 * The error paths of reference sections 2.3 (release), 2.4 (owner) and 4 (what cdrom.sys answers), end to end: the
 * fake COM layer fails as IMAPI2 would, in both exception shapes, behind a real agent.
 */
class WindowsErrorPathTests extends ComLayerTestBase {

    static final String ID = "REC-A";
    static final RecorderId REC = RecorderId.of(ID);

    static Stream<Arguments> lockedCodesAndShapes() {
        return Stream.of(ComCodes.E_IMAPI_RECORDER_LOCKED, ComCodes.E_ACCESSDENIED).flatMap(code ->
                Arrays.stream(Shape.values()).map(shape -> Arguments.of(code, shape)));
    }

    @ParameterizedTest(name = "0x{0} as {1}")
    @MethodSource("lockedCodesAndShapes")
    void lockedByAnotherProcess_failsWithTheRealCode_andNamesTheOwner(int code, Shape shape) {
        FakeMachine machine = machineWith(ID);
        machine.lockedCode = code;
        machine.shape = shape;
        machine.lockExternally(ID, "Nero Burning ROM");
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            assertThatThrownBy(() -> t.session("Kiosk").acquire(REC).block())
                    .isInstanceOfSatisfying(RecorderLockedException.class, e -> {
                        assertThat(e.hresult().code()).isEqualTo(code);
                        assertThat(e.owner()).contains("Nero Burning ROM");
                        assertThat(e.nativeDetail().orElseThrow().code()).isEqualTo(code & 0xFFFFFFFFL);
                    });
            assertThat(t.agent.exclusiveAccessOwner(REC).block()).isEqualTo("Nero Burning ROM");
        }
        assertThat(recorderCalls(machine)).containsSequence(ACQUIRE_EXCLUSIVE_ACCESS, EXCLUSIVE_ACCESS_OWNER);
        assertThat(recorderCalls(machine)).filteredOn(c -> c == EXCLUSIVE_ACCESS_OWNER).hasSize(2); // + the query
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void whenTheOwnerCannotBeReadTheLockedFailureStandsAndCarriesWhy() {
        FakeMachine machine = machineWith(ID);
        machine.lockExternally(ID, "Other");
        machine.failNext(EXCLUSIVE_ACCESS_OWNER, ComCodes.E_FAIL, 2); // ours, then the agent's second try
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            assertThatThrownBy(() -> t.session("Kiosk").acquire(REC).block())
                    .isInstanceOfSatisfying(RecorderLockedException.class, e -> {
                        assertThat(e.owner()).isEmpty();
                        assertThat(e.getSuppressed()).filteredOn(RecorderException.class::isInstance).hasSize(2)
                                .allSatisfy(s -> assertThat(s).isInstanceOfSatisfying(NativeRecorderException.class,
                                        n -> assertThat(n.hresult().name()).isEqualTo("E_FAIL")));
                    });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "null"})
    void aFreeRecorderHasNoOwner_whetherImapi2SaysEmptyOrNull(String free) {
        FakeMachine machine = machineWith(ID);
        machine.ownerWhenFree = free.equals("null") ? null : free;
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            assertThat(t.agent.exclusiveAccessOwner(REC).blockOptional()).isEmpty();
            machine.lockExternally(ID, "Roxio");
            assertThat(t.agent.exclusiveAccessOwner(REC).block()).isEqualTo("Roxio");
        }
    }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void imapi2sOwnCommandTimeoutFailsTheCaller_andTheRecorderStays(Shape shape) {
        FakeMachine machine = machineWith(ID);
        machine.shape = shape;
        machine.failNext(ACQUIRE_EXCLUSIVE_ACCESS, ComCodes.E_IMAPI_RECORDER_COMMAND_TIMEOUT, 1);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            ClientSession session = t.session("Kiosk");
            assertThatThrownBy(() -> session.acquire(REC).block())
                    .isInstanceOfSatisfying(CommandTimeoutException.class, e -> {
                        assertThat(e.hresult().name()).isEqualTo("E_IMAPI_RECORDER_COMMAND_TIMEOUT");
                        assertThat(e.nativeDetail()).isPresent();
                    });
            assertThat(session.acquire(REC).block().lockCount()).isEqualTo(1);
        }
    }

    @Test
    void aMountedVolumeNeedsForce() {
        FakeMachine machine = machineWith(ID);
        machine.mount(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            ClientSession session = t.session("Kiosk");
            assertThatThrownBy(() -> session.acquire(REC).block())
                    .isInstanceOfSatisfying(VolumeMountedException.class,
                            e -> assertThat(e.hresult().code()).isEqualTo(0x80070016));
            assertThat(machine.isMounted(ID)).isTrue();
            assertThat(session.acquire(REC, AcquireOptions.DEFAULT.withForce(true)).block().lockCount())
                    .isEqualTo(1);
            assertThat(machine.isMounted(ID)).isFalse();
            assertThat(machine.holderName(ID)).isEqualTo("Kiosk");
        }
        assertThat(machine.calls(c -> c.call() == ACQUIRE_EXCLUSIVE_ACCESS)).extracting(FakeMachine.Call::argument)
                .containsExactly("Kiosk", "force Kiosk");
    }

    @ParameterizedTest
    @ValueSource(ints = {0xC0AA0211, 0x80070057})
    void aClientNameImapi2RefusesIsAnInvalidClientName(int code) {
        FakeMachine machine = machineWith(ID);
        machine.failNext(ACQUIRE_EXCLUSIVE_ACCESS, code, 1);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            ClientSession session = t.session("Kiosk");
            assertThatThrownBy(() -> session.acquire(REC).block())
                    .isInstanceOfSatisfying(InvalidClientNameException.class,
                            e -> assertThat(e.hresult().code()).isEqualTo(code));
            assertThat(t.recorders()).containsExactly(REC);
            assertThat(session.acquire(REC).block().lockCount()).isEqualTo(1);
        }
    }

    @Test
    void releaseAtCountZeroIsNeverSentToImapi2() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            assertThatThrownBy(() -> t.session("Kiosk").release(REC).block())
                    .isInstanceOf(LockNotHeldException.class);
        }
        assertThat(recorderCalls(machine)).doesNotContain(RELEASE_EXCLUSIVE_ACCESS);
    }

    @ParameterizedTest(name = "0x{0}")
    @ValueSource(ints = {0x80070001, 0xC0AA0210, 0x80004005, 0xC0AA020D})
    void aFailedReleaseDropsTheLockByReopeningTheRecorder(int code) {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            ClientSession a = t.session("A");
            a.acquire(REC).block();
            machine.failNext(RELEASE_EXCLUSIVE_ACCESS, code, 1);
            assertThat(a.release(REC).block()).isZero();
            assertThat(machine.holderName(ID)).isNull(); // the released handle took the lock with it
            assertThat(t.session("B").acquire(REC).block().lockCount()).isEqualTo(1);
            assertThat(machine.holderName(ID)).isEqualTo("B");
            assertThat(events.removals(REC)).isZero();
        }
        assertThat(recorderCalls(machine)).containsSequence(RELEASE_EXCLUSIVE_ACCESS, RELEASE, CREATE_DISC_RECORDER,
                INITIALIZE_DISC_RECORDER, ACQUIRE_EXCLUSIVE_ACCESS);
        assertThat(machine.maxObjectsAlive(ID)).isEqualTo(1);
        assertThat(machine.violations()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void aRecorderThatVanishedWithoutAnEventIsDropped_andStaysGoneAfterReenumeration(Shape shape) {
        FakeMachine machine = machineWith(ID, "REC-B");
        machine.shape = shape;
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            ClientSession session = t.session("Kiosk");
            machine.setPresentSilently(ID, false);
            int countsBefore = machine.calls(c -> c.call() == COUNT).size();

            assertThatThrownBy(() -> session.acquire(REC).block())
                    .isInstanceOfSatisfying(RecorderRemovedException.class,
                            e -> assertThat(e.hresult().code()).isEqualTo(0x80070037));
            events.awaitRemovals(REC, 1);
            WindowsTestAgent.await(() -> machine.calls(c -> c.call() == COUNT).size() > countsBefore,
                    "the backend enumerated again");
            t.awaitControlIdle(2);
            assertThat(t.recorders()).containsExactly(RecorderId.of("REC-B"));
            assertThat(events.arrivals(REC)).isZero();
        }
        assertThat(machine.objectsAlive(ID)).isZero();
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void aDeadHandleOnAPresentDeviceIsReplacedByAFreshRecorderObject() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            ClientSession a = t.session("A");
            a.acquire(REC).block();
            machine.invalidateHandles(ID); // stale handle while held; the device stays
            assertThat(a.release(REC).block()).isZero(); // the count is the agent's; the native release fails
            // a dead handle is not a dead device: the next call opens a fresh object, the recorder never leaves
            assertThat(a.acquire(REC).block().lockCount()).isEqualTo(1);
            assertThat(machine.holderName(ID)).isEqualTo("A");
            a.release(REC).block();

            machine.invalidateHandles(ID); // stale handle while free
            assertThatThrownBy(() -> t.session("B").acquire(REC).block())
                    .isInstanceOfSatisfying(InvalidHandleException.class,
                            e -> assertThat(e.hresult().code()).isEqualTo(0x80070006));
            assertThat(t.session("C").acquire(REC).block().lockCount()).isEqualTo(1);
            assertThat(events.removals(REC)).as("removals of a present device").isZero();
            assertThat(t.recorders()).contains(REC);
        }
        assertThat(machine.calls(c -> c.call() == INITIALIZE_DISC_RECORDER
                && !c.thread().equals("discagent-native-control"))).hasSize(3);
        // the recorder's own object, and at most the control worker's short-lived probe of the re-enumeration
        assertThat(machine.maxObjectsAlive(ID)).isLessThanOrEqualTo(2);
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void aReleaseThatFindsTheDeviceGoneRemovesTheRecorder() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            ClientSession session = t.session("Kiosk");
            session.acquire(REC).block();
            machine.setPresentSilently(ID, false);
            session.release(REC).block();
            events.awaitRemovals(REC, 1);
            assertThat(t.recorders()).isEmpty();
        }
        assertThat(machine.objectsAlive(ID)).isZero();
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void aRecorderThatCannotBeInitialisedIsLeftOut_probedAgainOnlyWhenItsRetryIsDue_andTheOthersWork() {
        FakeMachine machine = machineWith(ID, "REC-B");
        machine.failNext(INITIALIZE_DISC_RECORDER, ID, 0xC0AA02FF, 1000); // not a usable drive
        try (WindowsTestAgent t = WindowsTestAgent.start(machine, "agent", Map.of(WindowsSettings.POLL_DEVICES_MILLIS,
                "1000"))) {
            assertThat(t.recorders()).containsExactly(RecorderId.of("REC-B"));
            for (int second = 1; second <= 4; second++) { // four polls: none probes it again
                t.advanceClock(Duration.ofSeconds(1));
                t.awaitControlIdle(2);
            }
            assertThat(probesOf(machine, ID)).isEqualTo(1); // enumerate() only: not the catch-up diff, not the polls
            t.advanceClock(Duration.ofSeconds(1)); // 5 s: its first retry
            WindowsTestAgent.await(() -> probesOf(machine, ID) == 2, "the first retry");
            t.awaitControlIdle(2); // the pass that made the probe has ended: its next retry time is set (15 s)
            t.advanceClock(Duration.ofSeconds(9)); // 14 s: the next retry waits twice as long, until 15 s
            t.awaitControlIdle(2);
            assertThat(probesOf(machine, ID)).isEqualTo(2);
            t.advanceClock(Duration.ofSeconds(1));
            WindowsTestAgent.await(() -> probesOf(machine, ID) == 3, "the second retry");

            assertThat(t.recorders()).containsExactly(RecorderId.of("REC-B"));
            assertThat(t.session("A").acquire(RecorderId.of("REC-B")).block().lockCount()).isEqualTo(1);
        }
        assertThat(machine.objectsAlive(ID)).isZero();
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void anUnusableRecorderThatIsPluggedInAgainIsProbedAtOnce() {
        FakeMachine machine = machineWith(ID, "REC-B");
        machine.failNext(INITIALIZE_DISC_RECORDER, ID, 0xC0AA02FF, 1); // unusable at the first look only
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            assertThat(t.recorders()).containsExactly(RecorderId.of("REC-B"));
            machine.unplug(ID);
            machine.plugIn(ID);
            events.awaitArrivals(REC, 1);
            assertThat(probesOf(machine, ID)).isEqualTo(2);
        }
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void aRecorderThatFailedToInitialiseOnceIsPickedUpWhenItsRetryIsDue() {
        FakeMachine machine = machineWith(ID, "REC-B");
        machine.failNext(INITIALIZE_DISC_RECORDER, ID, 0xC0AA0205, 1); // becoming ready, at the first look
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            t.awaitControlIdle(2);
            assertThat(t.recorders()).containsExactly(RecorderId.of("REC-B"));
            t.advanceClock(WindowsBackend.UNUSABLE_RETRY_FIRST);
            WindowsTestAgent.await(() -> t.recorders().contains(REC), "REC-A was found after all");
            assertThat(t.session("A").acquire(REC).block().lockCount()).isEqualTo(1);
        }
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void aBlankUniqueIdIsNeverProbed() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine, "agent", Map.of(WindowsSettings.POLL_DEVICES_MILLIS,
                "1000"))) {
            machine.plugIn(""); // an event, and an entry of Count/Item, with an empty unique id
            t.advanceClock(Duration.ofSeconds(1));
            t.awaitControlIdle(3);
            assertThat(t.recorders()).containsExactly(REC);
        }
        assertThat(machine.calls(c -> c.call() == INITIALIZE_DISC_RECORDER && c.argument().isBlank())).isEmpty();
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void unreadablePropertiesLeaveBlanks_butTheRecorderIsListed() {
        FakeMachine machine = machineWith(ID);
        machine.failNext(Imapi2Call.VENDOR_ID, ComCodes.E_IMAPI_RECORDER_LOCKED, 1);
        machine.failNext(Imapi2Call.VOLUME_PATH_NAMES, ComCodes.E_IMAPI_RECORDER_LOCKED, 1);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            var info = t.agent.recorder(REC).block();
            assertThat(info.vendor()).isEmpty();
            assertThat(info.paths()).isEmpty();
            assertThat(info.product()).isEqualTo("BD-RE BH16NS40");
        }
    }

    @Test
    void anExternalHolderIsWaitedForWithRetries_onTheAgentsScheduler() {
        FakeMachine machine = machineWith(ID);
        machine.lockExternally(ID, "Nero");
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            Mono<LockGrant> waiting = t.session("Kiosk").acquire(REC, AcquireOptions.waitUpTo(Duration.ofSeconds(30)))
                    .cache();
            waiting.subscribe(g -> { }, e -> { });
            t.settle();
            assertThat(machine.calls(c -> c.call() == ACQUIRE_EXCLUSIVE_ACCESS)).hasSize(1);
            t.time.advanceTimeBy(Duration.ofSeconds(1)); // the automatic backoff is at most 1 s
            t.settle();
            int attempts = machine.calls(c -> c.call() == ACQUIRE_EXCLUSIVE_ACCESS).size();
            assertThat(attempts).isGreaterThanOrEqualTo(2);
            assertThat(machine.holderName(ID)).isNull();

            machine.lockExternally(ID, null);
            t.time.advanceTimeBy(Duration.ofSeconds(1));
            assertThat(waiting.block(WindowsTestAgent.BLOCK).lockCount()).isEqualTo(1);
            assertThat(machine.holderName(ID)).isEqualTo("Kiosk");
            assertThat(machine.calls(c -> c.call() == ACQUIRE_EXCLUSIVE_ACCESS)).hasSize(attempts + 1);
        }
    }

    @Test
    void aHungCallStallsOnlyItsRecorder_andTimesOutOnTheAgentsClock() throws InterruptedException {
        FakeMachine machine = machineWith(ID, "REC-B");
        try (WindowsTestAgent t = WindowsTestAgent.start(machine, Map.of(),
                b -> b.commandTimeout(Duration.ofSeconds(10)))) {
            FakeMachine.Hang hang = machine.hangNext(ACQUIRE_EXCLUSIVE_ACCESS);
            Mono<LockGrant> stuck = t.session("A").acquire(REC).cache();
            stuck.subscribe(g -> { }, e -> { });
            assertThat(hang.awaitEntered()).isTrue();

            assertThat(t.session("B").acquire(RecorderId.of("REC-B")).block().lockCount()).isEqualTo(1);
            machine.plugIn("REC-C");
            WindowsTestAgent.await(() -> t.recorders().contains(RecorderId.of("REC-C")), "REC-C arrived");

            t.time.advanceTimeBy(Duration.ofSeconds(10));
            assertThatThrownBy(() -> stuck.block(WindowsTestAgent.BLOCK))
                    .isInstanceOfSatisfying(CommandTimeoutException.class,
                            e -> assertThat(e.nativeDetail()).isEmpty()); // the agent's timeout, not IMAPI2's
            hang.release();
            WindowsTestAgent.await(() -> machine.holderName(ID) == null
                    && recorderCalls(machine).contains(RELEASE_EXCLUSIVE_ACCESS), "the late grant was released");
        }
        assertThat(machine.violations()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** How many times the control worker probed {@code id} ({@code InitializeDiscRecorder} on a short-lived object). */
    static int probesOf(FakeMachine machine, String id) {
        return machine.calls(c -> c.call() == INITIALIZE_DISC_RECORDER && c.argument().equals(id)
                && c.thread().equals("discagent-native-control")).size();
    }

    /** The calls made on recorder workers (not the control worker), in order. */
    static List<Imapi2Call> recorderCalls(FakeMachine machine) {
        return machine.calls(c -> !c.thread().equals("discagent-native-control")).stream()
                .map(FakeMachine.Call::call).toList();
    }
}
