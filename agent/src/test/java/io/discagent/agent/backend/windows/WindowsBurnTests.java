package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.DiscState;
import io.discagent.api.LockGrant;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.burn.BurnResult;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.MediaTooSmallException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.BurnEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.Disposable;

/**
 * Burning through IMAPI2's data writer behind a real agent, on the fake COM layer: the medium as
 * {@code IDiscFormat2Data} reports it, a write with its options and the progress IMAPI2's {@code Update} events give,
 * {@code CancelWrite} from the {@code Update} handler, and IMAPI2's failures typed with their codes.
 */
class WindowsBurnTests extends ComLayerTestBase {

    static final String ID = "REC-A";
    static final RecorderId REC = RecorderId.of(ID);
    /** 513 sectors: nine writing updates of the fake's 64 sectors, the last of one sector. */
    static final int IMAGE_BYTES = 513 * 2048;

    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------------------------ media

    @Test
    void theMediumIsReadThroughTheDataWriterOnTheRecordersThread() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            MediaInfo media = t.agent.media(REC).block(WindowsTestAgent.BLOCK);
            assertThat(media.profile()).isEqualTo(MediaProfile.DVD_PLUS_R);
            assertThat(media.disc()).isEqualTo(DiscState.BLANK);
            assertThat(media.writable()).isTrue();
            assertThat(media.capacityBytes()).isEqualTo(2_295_104L * 2048);
            assertThat(media.freeBytes()).isEqualTo(2_295_104L * 2048);
            assertThat(media.writeProfiles()).contains(MediaProfile.CD_R, MediaProfile.DVD_PLUS_R,
                    MediaProfile.BD_RE);

            machine.media(ID, 6, 0x4000, 2_295_104, 0); // a closed DVD+R
            MediaInfo closed = t.agent.media(REC).block(WindowsTestAgent.BLOCK);
            assertThat(closed.disc()).isEqualTo(DiscState.CLOSED);
            assertThat(closed.writable()).isFalse();
            assertThat(closed.freeBytes()).isZero();

            machine.media(ID, 0, 0, 0, 0); // no medium
            MediaInfo none = t.agent.media(REC).block(WindowsTestAgent.BLOCK);
            assertThat(none.hasMedium()).isFalse();
            assertThat(none.writable()).isFalse();
        }
        assertThat(machine.calls(c -> c.call() == Imapi2Call.CURRENT_MEDIA_STATUS))
                .allSatisfy(c -> assertThat(c.thread()).startsWith("discagent-native-" + ID));
        assertThat(machine.violations()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ a burn

    @Test
    void aBurnWritesTheImageWithItsOptionsAndReportsImapi2sUpdates() throws IOException {
        Path image = image("a.iso", IMAGE_BYTES);
        FakeMachine machine = machineWith(ID);
        List<BurnProgress> seen = new CopyOnWriteArrayList<>();
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            ClientSession kiosk = t.session("Kiosk");
            BurnProgress last = kiosk.burn(REC, AcquireOptions.DEFAULT, BurnRequest.builder(image).verify(true)
                    .closeDisc(false).writeSpeedKBps(5540).build()).doOnNext(seen::add)
                    .blockLast(WindowsTestAgent.BLOCK);
            BurnResult result = last.result();
            assertThat(result).isNotNull();
            assertThat(result.bytesWritten()).isEqualTo(IMAGE_BYTES);
            assertThat(result.sha256()).isEqualTo(sha256(Files.readAllBytes(image)));
            assertThat(result.verified()).isTrue(); // IMAPI2's own verification was asked for and passed
            assertThat(kiosk.lockCount(REC).block(WindowsTestAgent.BLOCK)).isZero();
            MediaInfo after = t.agent.media(REC).block(WindowsTestAgent.BLOCK);
            assertThat(after.disc()).isEqualTo(DiscState.APPENDABLE);
        }
        assertThat(machine.written(ID)).isEqualTo(Files.readAllBytes(image));
        FakeMachine.Device device = machine.device(ID);
        assertThat(device.writerClientName).isEqualTo("Kiosk");
        assertThat(device.forceClose).isFalse();
        assertThat(device.verificationLevel).isEqualTo(Imapi2Ids.BURN_VERIFICATION_FULL);
        assertThat(device.writeSpeed).isEqualTo(5540 * 1000 / 2048);
        assertThat(seen).extracting(BurnProgress::phase).contains(BurnPhase.PREPARING, BurnPhase.COMPLETED);
        assertThat(seen.get(seen.size() - 1).bytesDone()).isEqualTo(IMAGE_BYTES);
        // every data-writer call, Write included, on the recorder's own worker, with the agent's recorder object
        assertThat(machine.calls(c -> c.call() == Imapi2Call.WRITE || c.call() == Imapi2Call.PUT_RECORDER
                || c.call() == Imapi2Call.PUT_CLIENT_NAME)).isNotEmpty()
                .allSatisfy(c -> assertThat(c.thread()).startsWith("discagent-native-" + ID));
        assertThat(machine.calls(c -> c.call() == Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS)).hasSize(1);
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void updatesDuringTheWriteBecomeWritingProgressOfTheLatestSector() throws IOException {
        Path image = image("b.iso", IMAGE_BYTES);
        FakeMachine machine = machineWith(ID);
        FakeMachine.WritePause pause = machine.pauseWriteAfter(ID, 4);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            AtomicReference<BurnProgress> latest = new AtomicReference<>();
            Disposable burn = t.session("Kiosk").burn(REC, AcquireOptions.DEFAULT, BurnRequest.builder(image)
                    .build()).subscribe(latest::set);
            pause.awaitReached();
            // four updates of 64 sectors: the last written sector is 255
            WindowsTestAgent.await(() -> latest.get() != null && latest.get().phase() == BurnPhase.WRITING
                    && latest.get().bytesDone() == 256L * 2048, "the fourth update's progress arrived");
            assertThat(latest.get().bufferPercent()).isEqualTo(50);
            assertThat(latest.get().remaining()).isNotNull();
            pause.resume();
            WindowsTestAgent.await(() -> latest.get().result() != null, "the burn completed");
            burn.dispose();
        }
    }

    // ------------------------------------------------------------------------------------------------ cancel

    @Test
    void cancellingCallsCancelWriteFromTheUpdateHandlerAndTheDrivePassesOnOnlyAfterWriteReturned()
            throws IOException {
        Path image = image("c.iso", IMAGE_BYTES);
        FakeMachine machine = machineWith(ID);
        FakeMachine.WritePause pause = machine.pauseWriteAfter(ID, 2);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            AtomicReference<Throwable> failed = new AtomicReference<>();
            List<BurnEvent> events = new CopyOnWriteArrayList<>();
            Disposable watching = t.agent.burnEvents().subscribe(events::add);
            Disposable burn = t.session("Kiosk").burn(REC, AcquireOptions.DEFAULT, BurnRequest.builder(image)
                    .build()).subscribe(p -> { }, failed::set);
            pause.awaitReached();
            ClientSession other = t.session("Other");
            AtomicReference<LockGrant> granted = new AtomicReference<>();
            other.acquire(REC, AcquireOptions.waitUpTo(java.time.Duration.ofMinutes(5))).subscribe(granted::set);
            burn.dispose(); // IMAPI2 is inside Write: the cancellation waits for the next Update
            WindowsTestAgent.await(() -> events.stream().anyMatch(e -> e.outcome() == BurnEvent.Outcome.CANCELLED),
                    "the agent saw the cancellation");
            assertThat(granted.get()).as("no grant while Write still runs").isNull();
            assertThat(machine.calls(c -> c.call() == Imapi2Call.CANCEL_WRITE)).isEmpty();

            pause.resume();
            WindowsTestAgent.await(() -> granted.get() != null, "the waiter was granted");
            assertThat(failed.get()).isNull(); // a cancelled subscriber is told nothing
            assertThat(granted.get().lockCount()).isEqualTo(1);
            other.release(granted.get()).block(WindowsTestAgent.BLOCK);
            watching.dispose();
        }
        List<FakeMachine.Call> cancel = machine.calls(c -> c.call() == Imapi2Call.CANCEL_WRITE);
        assertThat(cancel).hasSize(1);
        assertThat(cancel.get(0).thread()).startsWith("discagent-native-" + ID);
        // the third update's handler cancelled: the fake wrote three updates' sectors, not the image
        assertThat(machine.written(ID)).hasSize(3 * 64 * 2048);
        assertThat(machine.violations()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ failures

    @ParameterizedTest(name = "0x{0} -> {1}")
    @CsvSource({
            "C0AA0404, io.discagent.api.error.MediaTooSmallException",
            "C0AA0405, io.discagent.api.error.MediaNotWritableException",
            "C0AA0406, io.discagent.api.error.MediaNotWritableException",
            "C0AA0400, io.discagent.api.error.WriteInProgressException",
            "C0AA0007, io.discagent.api.error.MediumErrorException",
            "80070037, io.discagent.api.error.RecorderRemovedException"})
    void imapi2sWriteFailuresAreTypedWithTheirCode(String hex, String type) throws Exception {
        int code = Integer.parseUnsignedInt(hex, 16);
        Path image = image("d.iso", IMAGE_BYTES);
        FakeMachine machine = machineWith(ID);
        machine.failWriteAt(ID, 100, code);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            ClientSession kiosk = t.session("Kiosk");
            assertThatThrownBy(() -> kiosk.burn(REC, AcquireOptions.DEFAULT, BurnRequest.builder(image).build())
                    .blockLast(WindowsTestAgent.BLOCK))
                    .isInstanceOf(Class.forName(type))
                    .isInstanceOfSatisfying(RecorderException.class, e -> {
                        assertThat(e.hresult().code()).isEqualTo(code);
                        assertThat(e.nativeDetail()).isPresent();
                    });
            if (code != 0x80070037) {
                assertThat(kiosk.lockCount(REC).block(WindowsTestAgent.BLOCK)).isZero();
            }
        }
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void anImageLargerThanTheFreeSpaceOrADiscThatIsNotWritableIsRefusedBeforeAnyWrite() throws IOException {
        Path image = image("e.iso", IMAGE_BYTES);
        FakeMachine machine = machineWith(ID);
        machine.media(ID, 6, 0x2, 2_295_104, 100); // 100 free sectors
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            ClientSession kiosk = t.session("Kiosk");
            BurnRequest request = BurnRequest.builder(image).build();
            assertThatThrownBy(() -> kiosk.burn(REC, AcquireOptions.DEFAULT, request)
                    .blockLast(WindowsTestAgent.BLOCK))
                    .isInstanceOfSatisfying(MediaTooSmallException.class, e -> assertThat(e.hresult().code())
                            .isEqualTo(0xC0AA0404));
            machine.media(ID, 6, 0x4000, 2_295_104, 0); // closed
            assertThatThrownBy(() -> kiosk.burn(REC, AcquireOptions.DEFAULT, request)
                    .blockLast(WindowsTestAgent.BLOCK))
                    .isInstanceOf(MediaNotWritableException.class);
            machine.media(ID, 4, 0, 2_295_104, 0); // a DVD-ROM
            assertThatThrownBy(() -> kiosk.burn(REC, AcquireOptions.DEFAULT, request)
                    .blockLast(WindowsTestAgent.BLOCK))
                    .isInstanceOf(MediaNotWritableException.class);
            assertThat(kiosk.lockCount(REC).block(WindowsTestAgent.BLOCK)).isZero();
        }
        assertThat(machine.calls(c -> c.call() == Imapi2Call.WRITE)).isEmpty();
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void imapi2HasNoTestWrite() throws IOException {
        Path image = image("f.iso", IMAGE_BYTES);
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            assertThatThrownBy(() -> t.session("Kiosk").burn(REC, AcquireOptions.DEFAULT, BurnRequest.builder(image)
                    .simulate(true).build()).blockLast(WindowsTestAgent.BLOCK))
                    .isInstanceOfSatisfying(BurnNotSupportedException.class, e -> assertThat(e.hresult().code())
                            .isEqualTo(0xC0AA0407));
        }
        assertThat(machine.calls(c -> c.call() == Imapi2Call.WRITE)).isEmpty();
    }

    @Test
    void theDriveLeavingDuringTheWriteFailsTheBurnAndTheWaiterWithDevNotExist() throws IOException {
        Path image = image("g.iso", IMAGE_BYTES);
        FakeMachine machine = machineWith(ID);
        machine.failWriteAt(ID, 200, 0x80070037);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            assertThatThrownBy(() -> t.session("Kiosk").burn(REC, AcquireOptions.DEFAULT, BurnRequest.builder(image)
                    .build()).blockLast(WindowsTestAgent.BLOCK))
                    .isInstanceOfSatisfying(RecorderRemovedException.class, e -> assertThat(e.hresult().code())
                            .isEqualTo(0x80070037));
        }
        assertThat(machine.violations()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private Path image(String name, int size) throws IOException {
        byte[] bytes = new byte[size];
        new Random(size + name.hashCode()).nextBytes(bytes);
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
