package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.BurnFault;
import io.discagent.agent.backend.simulated.SimulatedDisc;
import io.discagent.agent.backend.simulated.SimulatedSettings;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.DiscState;
import io.discagent.api.LockGrant;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.burn.BurnImage;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.burn.BurnResult;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.MediaTooSmallException;
import io.discagent.api.error.MediumErrorException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.error.WriteInProgressException;
import io.discagent.api.event.BurnEvent;
import io.discagent.api.event.CommandTimedOutEvent;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.api.event.RecorderEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.test.subscriber.TestSubscriber;

/**
 * Burning through the lock on the simulated backend, on virtual time: the API, the phases, the result, the sampled
 * progress, and every failure path (refusals before writing, a medium error, a hung write, removal mid-burn, a
 * cancellation, the hold ending under the burn, a disc that does not verify), each leaving the recorder free.
 */
class BurnTests {

    /** 1 MiB per second: a tick of 250 ms writes 256 KiB. */
    private static final long SPEED = 1 << 20;
    private static final Duration BLOCK = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private TestAgent t;

    private TestAgent agent(Consumer<AgentOptions.Builder> options) {
        t = TestAgent.start(new SimulatedSettings(2, dir.resolve("discs"), SPEED, MediaProfile.BD_RE), options);
        return t;
    }

    private TestAgent agent() {
        return agent(b -> { });
    }

    @AfterEach
    void close() {
        if (t != null) {
            t.close();
        }
    }

    private Path image(String name, int bytes) throws IOException {
        byte[] data = new byte[bytes];
        new Random(name.hashCode()).nextBytes(data);
        Path file = dir.resolve(name);
        Files.write(file, data);
        return file;
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** Runs virtual time in ticks until {@code probe} ends (or a minute of virtual time passed). */
    private void runToEnd(TestSubscriber<?> probe) {
        for (int i = 0; i < 240 && !probe.isTerminatedOrCancelled(); i++) {
            t.advance(Duration.ofMillis(250));
        }
    }

    private static RecorderException failure(TestSubscriber<?> probe) {
        assertThat(probe.isTerminatedError()).as("the burn failed; got %s", probe.getReceivedOnNext()).isTrue();
        return (RecorderException) probe.expectTerminalError();
    }

    private static List<BurnPhase> phases(List<BurnProgress> progress) {
        return progress.stream().map(BurnProgress::phase).distinct().toList();
    }

    // ------------------------------------------------------------------------------------------------ success

    @Test
    void aBurnFormatsWritesClosesAndEndsWithItsResultThenReleasesTheRecorder() throws Exception {
        agent();
        Path image = image("disc.iso", 2 << 20);
        ClientSession s = t.session("Kiosk 1");
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        s.burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).build()).subscribe(probe);
        runToEnd(probe);

        assertThat(probe.isTerminatedComplete()).as("completed: %s", probe.getTerminalSignal()).isTrue();
        List<BurnProgress> progress = probe.getReceivedOnNext();
        assertThat(phases(progress)).containsExactly(BurnPhase.PREPARING, BurnPhase.FORMATTING, BurnPhase.WRITING,
                BurnPhase.CLOSING, BurnPhase.COMPLETED);
        List<Long> written = progress.stream().filter(p -> p.phase() == BurnPhase.WRITING)
                .map(BurnProgress::bytesDone).toList();
        assertThat(written).isSorted().contains(256L << 10, 1L << 20); // the last one may be sampled away by CLOSING
        assertThat(progress.stream().filter(p -> p.phase() == BurnPhase.CLOSING))
                .allSatisfy(p -> assertThat(p.bytesDone()).isEqualTo(2L << 20));
        assertThat(progress.stream().filter(p -> p.phase() == BurnPhase.WRITING))
                .allSatisfy(p -> assertThat(p.bytesPerSecond()).isEqualTo(SPEED));
        BurnResult result = progress.get(progress.size() - 1).result();
        byte[] bytes = Files.readAllBytes(image);
        assertThat(result.bytesWritten()).isEqualTo(bytes.length);
        assertThat(result.sha256()).isEqualTo(sha256(bytes));
        assertThat(result.verified()).isFalse();
        assertThat(result.closed()).as("an overwritable BD-RE has nothing to close").isFalse();
        assertThat(result.profile()).isEqualTo(MediaProfile.BD_RE);
        // 2 s formatting, 8 ticks of writing, 1 s closing, on the agent's clock
        assertThat(result.duration()).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(6));
        byte[] disc = Arrays.copyOf(Files.readAllBytes(t.sim.discImage(SIM0)), bytes.length);
        assertThat(disc).isEqualTo(bytes);
        assertThat(t.sim.state(SIM0).disc().state()).isEqualTo(DiscState.OVERWRITABLE);
        assertThat(t.sim.state(SIM0).nativeOwner()).as("released").isNull();
        assertThat(s.lockCount(SIM0).block(BLOCK)).isZero();
    }

    @Test
    void verifyReadsTheDiscBackAndComparesChecksums() throws Exception {
        agent();
        Path image = image("verify.iso", 1 << 20);
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        t.session("Archive").burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).verify(true).build())
                .subscribe(probe);
        runToEnd(probe);

        assertThat(probe.isTerminatedComplete()).as("%s", probe.getTerminalSignal()).isTrue();
        List<BurnProgress> progress = probe.getReceivedOnNext();
        assertThat(phases(progress)).containsSubsequence(BurnPhase.WRITING, BurnPhase.CLOSING, BurnPhase.VERIFYING,
                BurnPhase.COMPLETED);
        assertThat(progress.stream().filter(p -> p.phase() == BurnPhase.VERIFYING).map(BurnProgress::bytesDone))
                .contains(1L << 20);
        BurnResult result = progress.get(progress.size() - 1).result();
        assertThat(result.verified()).isTrue();
        assertThat(result.sha256()).isEqualTo(sha256(Files.readAllBytes(image)));
    }

    @Test
    void aDiscThatDoesNotReadBackAsWrittenFailsVerification() throws Exception {
        agent();
        Path image = image("bad.iso", 1 << 20);
        t.sim.failBurnAt(SIM0, 50, BurnFault.CORRUPTION);
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        t.session("Archive").burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).verify(true).build())
                .subscribe(probe);
        runToEnd(probe);

        RecorderException e = failure(probe);
        assertThat(e).isInstanceOf(MediumErrorException.class);
        assertThat(e.hresult()).isEqualTo(HResult.E_IMAPI_BURN_VERIFICATION_FAILED);
        assertThat(phases(probe.getReceivedOnNext())).contains(BurnPhase.VERIFYING);
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void aWriteOnceDiscIsClosedOrLeftAppendableAndAClosedDiscIsRefused() throws Exception {
        agent();
        Path image = image("once.iso", 512 << 10);
        ClientSession s = t.session("Kiosk");
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        t.settle();
        TestSubscriber<BurnProgress> open = TestSubscriber.create();
        s.burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).closeDisc(false).build()).subscribe(open);
        runToEnd(open);
        assertThat(open.isTerminatedComplete()).isTrue();
        assertThat(t.sim.state(SIM0).disc().state()).isEqualTo(DiscState.APPENDABLE);
        assertThat(open.getReceivedOnNext().get(open.getReceivedOnNext().size() - 1).result().closed()).isFalse();
        assertThat(phases(open.getReceivedOnNext())).doesNotContain(BurnPhase.FORMATTING);

        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        TestSubscriber<BurnProgress> closed = TestSubscriber.create();
        s.burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).build()).subscribe(closed);
        runToEnd(closed);
        assertThat(closed.isTerminatedComplete()).isTrue();
        assertThat(t.sim.state(SIM0).disc().state()).isEqualTo(DiscState.CLOSED);
        assertThat(closed.getReceivedOnNext().get(closed.getReceivedOnNext().size() - 1).result().closed()).isTrue();

        MediaInfo media = t.agent.media(SIM0).block(BLOCK);
        assertThat(media.disc()).isEqualTo(DiscState.CLOSED);
        assertThat(media.writable()).isFalse();
        TestSubscriber<BurnProgress> again = TestSubscriber.create();
        s.burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).build()).subscribe(again);
        runToEnd(again);
        RecorderException e = failure(again);
        assertThat(e).isInstanceOf(MediaNotWritableException.class);
        assertThat(e.hresult()).isEqualTo(HResult.E_IMAPI_DF2DATA_MEDIA_NOT_BLANK);
        assertThat(s.lockCount(SIM0).block(BLOCK)).isZero();
    }

    // ------------------------------------------------------------------------------------------------ refusals

    @Test
    void aBurnIsRefusedBeforeWritingWhenTheMediumCannotTakeIt() throws Exception {
        agent();
        Path image = image("any.iso", 1 << 20);
        ClientSession s = t.session("Kiosk");

        t.sim.changeMedia(SIM0, MediaState.NO_MEDIA);
        assertRefused(s, BurnRequest.builder(image).build(), MediaNotWritableException.class,
                HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA);
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_ROM));
        assertRefused(s, BurnRequest.builder(image).build(), MediaNotWritableException.class,
                HResult.E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED);
        t.sim.insertDisc(SIM0, SimulatedDisc.closed(MediaProfile.CD_R));
        assertRefused(s, BurnRequest.builder(image).build(), MediaNotWritableException.class,
                HResult.E_IMAPI_DF2DATA_MEDIA_NOT_BLANK);
        t.sim.insertDisc(SIM0, new SimulatedDisc(MediaProfile.DVD_PLUS_R, DiscState.BLANK, SimulatedDisc.DVD_BYTES,
                true));
        assertRefused(s, BurnRequest.builder(image).build(), MediaNotWritableException.class,
                HResult.E_IMAPI_RECORDER_MEDIA_WRITE_PROTECTED);
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.CD_R, 256 << 10));
        assertRefused(s, BurnRequest.builder(image).build(), MediaTooSmallException.class,
                HResult.E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA);
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.CD_R));
        assertRefused(s, BurnRequest.builder(image("odd.iso", 1000)).build(), BurnNotSupportedException.class,
                HResult.E_IMAPI_DF2DATA_STREAM_NOT_SUPPORTED);
        assertRefused(s, BurnRequest.builder(dir.resolve("missing.iso")).build(), InvalidArgumentException.class,
                HResult.E_INVALIDARG);
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_RW));
        assertRefused(s, BurnRequest.builder(image).simulate(true).build(), BurnNotSupportedException.class,
                HResult.E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED);

        assertThat(Files.exists(t.sim.discImage(SIM0))).as("nothing was ever written").isFalse();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    private void assertRefused(ClientSession s, BurnRequest request, Class<? extends RecorderException> type,
            HResult code) {
        t.settle();
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        s.burn(SIM0, AcquireOptions.DEFAULT, request).subscribe(probe);
        runToEnd(probe);
        RecorderException e = failure(probe);
        assertThat(e).as(request.toString()).isInstanceOf(type);
        assertThat(e.hresult()).as(request.toString()).isEqualTo(code);
        assertThat(phases(probe.getReceivedOnNext())).as("nothing was written").containsOnly(BurnPhase.PREPARING);
        assertThat(s.lockCount(SIM0).block(BLOCK)).isZero();
    }

    @Test
    void aSimulatedBurnWritesNothing() throws Exception {
        agent();
        Path image = image("test.iso", 512 << 10);
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_DASH_R));
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        t.session("Kiosk").burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).simulate(true)
                .verify(true).build()).subscribe(probe);
        runToEnd(probe);
        assertThat(probe.isTerminatedComplete()).isTrue();
        BurnResult result = probe.getReceivedOnNext().get(probe.getReceivedOnNext().size() - 1).result();
        assertThat(result.simulated()).isTrue();
        assertThat(result.verified()).as("nothing to read back").isFalse();
        assertThat(result.closed()).isFalse();
        assertThat(t.sim.state(SIM0).disc().state()).isEqualTo(DiscState.BLANK);
        assertThat(Files.exists(t.sim.discImage(SIM0))).isFalse();
    }

    @Test
    void oneBurnAtATimeAndOnlyOnTheCurrentHold() throws Exception {
        agent();
        Path image = image("one.iso", 2 << 20);
        ClientSession s = t.session("Kiosk");
        LockGrant grant = s.acquire(SIM0).block(BLOCK);
        TestSubscriber<BurnProgress> first = TestSubscriber.create();
        s.burn(grant, BurnRequest.builder(image).build()).subscribe(first);
        t.advance(Duration.ofMillis(250));
        TestSubscriber<BurnProgress> second = TestSubscriber.create();
        s.burn(grant, BurnRequest.builder(image).build()).subscribe(second);
        t.settle();
        RecorderException busy = failure(second);
        assertThat(busy).isInstanceOf(WriteInProgressException.class);
        assertThat(busy.hresult()).isEqualTo(HResult.E_IMAPI_DF2DATA_WRITE_IN_PROGRESS);
        assertThat(busy.owner()).contains("Kiosk");
        runToEnd(first);
        assertThat(first.isTerminatedComplete()).isTrue();
        assertThat(s.release(SIM0).block(BLOCK)).isZero();

        TestSubscriber<BurnProgress> ended = TestSubscriber.create();
        s.burn(grant, BurnRequest.builder(image).build()).subscribe(ended);
        t.settle();
        assertThat(failure(ended)).isInstanceOf(LockNotHeldException.class);

        ClientSession other = t.session("Other");
        LockGrant theirs = other.acquire(SIM0).block(BLOCK);
        TestSubscriber<BurnProgress> foreign = TestSubscriber.create();
        s.burn(theirs, BurnRequest.builder(image).build()).subscribe(foreign);
        t.settle();
        assertThat(failure(foreign)).isInstanceOf(InvalidArgumentException.class);

        TestSubscriber<BurnProgress> nulls = TestSubscriber.create();
        s.burn(theirs, null).subscribe(nulls);
        t.settle();
        assertThat(failure(nulls)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("request");
    }

    // ------------------------------------------------------------------------------------------------ failures

    @Test
    void aMediumErrorEndsTheBurnWithTheDrivesSense() throws Exception {
        agent();
        Path image = image("scratched.iso", 2 << 20);
        t.sim.failBurnAt(SIM0, 50, BurnFault.MEDIUM_ERROR);
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        t.session("Kiosk").burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).build()).subscribe(probe);
        runToEnd(probe);

        RecorderException e = failure(probe);
        assertThat(e).isInstanceOf(MediumErrorException.class);
        assertThat(e.hresult()).isEqualTo(HResult.E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE);
        assertThat(e.nativeDetail()).hasValueSatisfying(d -> {
            assertThat(d.senseData()).startsWith("70 00 03").contains("0c 00");
            assertThat(d.description()).contains("MEDIUM ERROR");
        });
        long reached = probe.getReceivedOnNext().stream().mapToLong(BurnProgress::bytesDone).max().orElse(0);
        assertThat(reached).isLessThan(2L << 20);
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).burning()).isFalse();
    }

    @Test
    void aHungWriteFailsWithTheCommandTimeoutAndTheRecorderPassesOnOnlyWhenTheWriterStopped() throws Exception {
        agent(b -> b.burnStallTimeout(Duration.ofSeconds(5)));
        Path image = image("hung.iso", 2 << 20);
        List<RecorderEvent> events = new CopyOnWriteArrayList<>();
        Disposable watch = t.agent.events().subscribe(events::add);
        t.sim.failBurnAt(SIM0, 30, BurnFault.HANG);
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        ClientSession s = t.session("Kiosk");
        LockGrant grant = s.acquire(SIM0).block(BLOCK);
        s.burn(grant, BurnRequest.builder(image).build()).subscribe(probe);
        for (int i = 0; i < 20 && t.sim.state(SIM0).blockedCalls() == 0; i++) {
            t.advance(Duration.ofMillis(250));
        }
        assertThat(t.sim.state(SIM0).blockedCalls()).as("the write hangs").isEqualTo(1);
        t.advance(Duration.ofSeconds(5));

        RecorderException e = failure(probe);
        assertThat(e).isInstanceOf(CommandTimeoutException.class);
        assertThat(e.hresult()).isEqualTo(HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT);
        assertThat(events).anySatisfy(ev -> assertThat(ev).isInstanceOf(CommandTimedOutEvent.class));
        assertThat(events).anySatisfy(ev -> assertThat(ev).isInstanceOfSatisfying(BurnEvent.class,
                b -> assertThat(b.outcome()).isEqualTo(BurnEvent.Outcome.FAILED)));

        TestSubscriber<LockGrant> waiter = TestSubscriber.create();
        t.session("Next").acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(waiter);
        TestSubscriber<Integer> released = TestSubscriber.create();
        s.release(grant).subscribe(released); // the lock goes once the writer has stopped
        t.advance(Duration.ofSeconds(1));
        assertThat(released.isTerminated()).isFalse();
        assertThat(waiter.getReceivedOnNext()).as("nobody gets the recorder while its writer still runs").isEmpty();
        assertThat(t.sim.state(SIM0).burning()).isTrue();

        t.sim.releaseHangs(SIM0);
        t.advance(Duration.ofMillis(250));
        t.settle();
        assertThat(t.sim.state(SIM0).burning()).isFalse();
        assertThat(released.getReceivedOnNext()).containsExactly(0);
        assertThat(waiter.getReceivedOnNext()).hasSize(1);
        watch.dispose();
    }

    @Test
    void removalMidBurnFailsTheBurnAndTheWaitersWithDevNotExist() throws Exception {
        agent();
        Path image = image("gone.iso", 2 << 20);
        t.sim.failBurnAt(SIM0, 40, BurnFault.REMOVAL);
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        t.session("Kiosk").burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).build()).subscribe(probe);
        TestSubscriber<LockGrant> waiter = TestSubscriber.create();
        t.session("Next").acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(waiter);
        runToEnd(probe);

        RecorderException e = failure(probe);
        assertThat(e).isInstanceOf(RecorderRemovedException.class);
        assertThat(e.hresult().code()).isEqualTo(0x80070037);
        t.settle();
        assertThat(waiter.expectTerminalError()).isInstanceOf(RecorderRemovedException.class);
    }

    @Test
    void cancellingStopsTheWriterBeforeTheRecorderPassesOn() throws Exception {
        agent();
        Path image = image("cancel.iso", 4 << 20);
        List<String> order = new CopyOnWriteArrayList<>();
        t.sim.failBurnAt(SIM0, 25, BurnFault.HANG); // the writer is in a write when the cancellation comes
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        t.session("Kiosk").burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).build()).subscribe(probe);
        for (int i = 0; i < 40 && t.sim.state(SIM0).blockedCalls() == 0; i++) {
            t.advance(Duration.ofMillis(250));
        }
        TestSubscriber<LockGrant> waiter = TestSubscriber.create();
        t.session("Next").acquire(SIM0, AcquireOptions.waitIndefinitely())
                .doOnNext(g -> order.add("granted, burning=" + t.sim.state(SIM0).burning())).subscribe(waiter);
        t.settle();
        probe.cancel();
        t.advance(Duration.ofSeconds(2));
        assertThat(waiter.getReceivedOnNext()).as("the writer has not stopped yet").isEmpty();

        t.sim.releaseHangs(SIM0);
        t.advance(Duration.ofMillis(250));
        t.settle();
        assertThat(order).containsExactly("granted, burning=false");
        assertThat(probe.getReceivedOnNext()).noneMatch(p -> p.phase() == BurnPhase.COMPLETED);
    }

    @Test
    void closingTheSessionUnderABurnFailsItAndStopsTheWriter() throws Exception {
        agent();
        Path image = image("closed.iso", 2 << 20);
        ClientSession s = t.session("Kiosk");
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        s.burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).build()).subscribe(probe);
        t.advance(Duration.ofSeconds(2));
        s.close().block(BLOCK); // the writer stops at once: the close does not wait for the next tick
        assertThat(failure(probe)).isInstanceOf(SessionClosedException.class);
        assertThat(t.sim.state(SIM0).burning()).isFalse();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    // ------------------------------------------------------------------------------------------------ progress

    @Test
    void aSlowSubscriberGetsTheLatestStateNotABacklog() throws Exception {
        agent();
        Path image = image("slow.iso", 2 << 20);
        TestSubscriber<BurnProgress> probe = TestSubscriber.builder().initialRequest(1).build();
        t.session("Kiosk").burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).build()).subscribe(probe);
        for (int i = 0; i < 60; i++) {
            t.advance(Duration.ofMillis(250));
        }
        assertThat(probe.getReceivedOnNext()).hasSize(1);
        assertThat(probe.getReceivedOnNext().get(0).phase()).isEqualTo(BurnPhase.PREPARING);
        probe.request(1);
        t.settle();
        assertThat(probe.getReceivedOnNext()).hasSize(2);
        assertThat(probe.getReceivedOnNext().get(1).phase()).as("the latest state, skipping the rest")
                .isEqualTo(BurnPhase.COMPLETED);
        assertThat(probe.isTerminatedComplete()).isTrue();
    }

    @Test
    void burnEventsFollowEveryBurnAndMediaEventsCarryTheMedium() throws Exception {
        agent();
        Path image = image("events.iso", 2 << 20);
        List<BurnEvent> burns = new CopyOnWriteArrayList<>();
        List<MediaChangedEvent> media = new CopyOnWriteArrayList<>();
        Disposable a = t.agent.burnEvents().subscribe(burns::add);
        Disposable b = t.agent.deviceEvents().ofType(MediaChangedEvent.class).subscribe(media::add);
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        t.settle();
        assertThat(media).hasSize(1);
        assertThat(media.get(0).media()).isNotNull().satisfies(m -> {
            assertThat(m.profile()).isEqualTo(MediaProfile.DVD_PLUS_R);
            assertThat(m.disc()).isEqualTo(DiscState.BLANK);
            assertThat(m.writable()).isTrue();
            assertThat(m.freeBytes()).isEqualTo(SimulatedDisc.DVD_BYTES);
        });

        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        t.session("Kiosk 7").burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(image).build()).subscribe(probe);
        runToEnd(probe);
        t.settle();
        assertThat(burns.get(0).outcome()).isEqualTo(BurnEvent.Outcome.RUNNING);
        assertThat(burns.get(0).client()).isEqualTo("Kiosk 7");
        assertThat(burns.get(0).image()).isEqualTo(image.toString());
        assertThat(burns.get(burns.size() - 1).outcome()).isEqualTo(BurnEvent.Outcome.SUCCEEDED);
        assertThat(burns.get(burns.size() - 1).progress().result()).isNotNull();
        assertThat(burns.stream().map(e -> e.progress().phase()).distinct())
                .containsExactly(BurnPhase.PREPARING, BurnPhase.WRITING, BurnPhase.CLOSING, BurnPhase.COMPLETED);
        // 2 s of writing at one event per second at most, plus the phases
        assertThat(burns.stream().filter(e -> e.progress().phase() == BurnPhase.WRITING).count()).isBetween(2L, 4L);
        assertThat(t.agent.media(SIM0).block(BLOCK).disc()).isEqualTo(DiscState.CLOSED);
        a.dispose();
        b.dispose();
    }

    @Test
    void anImageTheCallerOpenedIsBurnedFromItsOpenChannelAndLeftOpen() throws Exception {
        agent();
        Path file = image("open.iso", 1 << 20);
        byte[] original = Files.readAllBytes(file);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
            BurnImage opened = BurnImage.of(channel, "open.iso");
            Files.write(file.resolveSibling("replacement.iso"), new byte[1 << 20]);
            Files.move(file.resolveSibling("replacement.iso"), file,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING); // the path now names another file
            TestSubscriber<BurnProgress> probe = TestSubscriber.create();
            t.session("Service").burn(SIM0, AcquireOptions.DEFAULT, BurnRequest.builder(opened).build())
                    .subscribe(probe);
            runToEnd(probe);
            assertThat(probe.isTerminatedComplete()).isTrue();
            assertThat(probe.getReceivedOnNext().get(probe.getReceivedOnNext().size() - 1).result().sha256())
                    .isEqualTo(sha256(original));
            assertThat(channel.isOpen()).isTrue();
        }
    }
}
