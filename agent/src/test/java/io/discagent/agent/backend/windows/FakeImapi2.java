package io.discagent.agent.backend.windows;

import com.sun.jna.Pointer;
import io.discagent.api.MediaProfile;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One process's COM layer on a {@link FakeMachine}: what a {@link WindowsBackend} under test talks to. Every call goes
 * through {@link FakeMachine#enter}, which logs it and checks COM's threading rules.
 */
final class FakeImapi2 implements Imapi2 {

    private final FakeMachine machine;
    private final String process;
    private long nextEvent = 1;

    FakeImapi2(FakeMachine machine, String process) {
        this.machine = machine;
        this.process = process;
    }

    @Override
    public int coInitializeEx(int coInit) {
        return machine.coInitializeEx(process, coInit);
    }

    @Override
    public void coUninitialize() {
        machine.coUninitialize(process);
    }

    /** The loop of {@code JnaImapi2.pumpMessages}, on the machine's message queue. */
    @Override
    public int pumpMessages(int max) {
        int dispatched = 0;
        while (dispatched < max) {
            long token = machine.peekMessage(true);
            if (token == 0) {
                break;
            }
            dispatched++;
            if (token > 0) {
                machine.dispatchMessage(token);
            }
        }
        return dispatched;
    }

    @Override
    public WakeEvent createWakeEvent() {
        long id;
        synchronized (this) {
            id = nextEvent++;
        }
        machine.createEvent(process, id);
        return new WakeEvent() {
            @Override
            public void set() {
                machine.setEvent(process, id);
            }

            @Override
            public Wakeup await(int millis) {
                int result = machine.await(process, id, millis, Imapi2Vtables.QS_ALLINPUT,
                        Imapi2Vtables.MWMO_INPUTAVAILABLE);
                return result == Imapi2Vtables.WAIT_OBJECT_0 ? Wakeup.SIGNALLED
                        : result == Imapi2Vtables.WAIT_TIMEOUT ? Wakeup.TIMEOUT : Wakeup.MESSAGE;
            }

            @Override
            public void close() {
                machine.closeEvent(process, id);
            }
        };
    }

    @Override
    public DiscMaster createDiscMaster() {
        machine.enter(process, null, Imapi2Call.CREATE_DISC_MASTER, "");
        return new Master();
    }

    @Override
    public DiscRecorder createDiscRecorder() {
        machine.enter(process, null, Imapi2Call.CREATE_DISC_RECORDER, "");
        return new Recorder();
    }

    @Override
    public DiscFormat2Data createDiscFormat2Data() {
        machine.enter(process, null, Imapi2Call.CREATE_DISC_FORMAT2_DATA, "");
        return new DataWriter();
    }

    /** What every fake COM object knows about itself. */
    abstract class ComObjectState implements ComObject {
        final Thread thread = Thread.currentThread();
        final int id;
        boolean released;

        ComObjectState() {
            this.id = machine.created(this);
        }

        void enter(Imapi2Call call, String argument) {
            machine.enter(process, this, call, argument);
        }

        @Override
        public void release() {
            machine.released(this, process);
        }

        @Override
        public String toString() {
            return getClass().getSimpleName() + "#" + id;
        }
    }

    /** {@code MsftDiscMaster2}. */
    final class Master extends ComObjectState implements DiscMaster {

        @Override
        public boolean isSupportedEnvironment() {
            enter(Imapi2Call.IS_SUPPORTED_ENVIRONMENT, "");
            return machine.isSupportedEnvironment();
        }

        @Override
        public int count() {
            enter(Imapi2Call.COUNT, "");
            return machine.presentIds().size();
        }

        @Override
        public String item(int index) {
            enter(Imapi2Call.ITEM, String.valueOf(index));
            List<String> present = machine.presentIds();
            if (index < 0 || index >= present.size()) {
                throw machine.failure(ComCodes.E_INVALIDARG, "Item(" + index + ")");
            }
            return present.get(index);
        }

        @Override
        public EventConnection advise(ComEventSink sink) {
            int cookie = advise(sink.pointer());
            return () -> unadvise(cookie);
        }

        /** {@code IConnectionPoint::Advise} with the sink's {@code IUnknown}: the cookie. */
        int advise(Pointer sink) {
            enter(Imapi2Call.ADVISE, "");
            if (machine.adviseResult != ComCodes.S_OK) {
                throw FakeMachine.direct(machine.adviseResult, "Advise failed (scripted)");
            }
            return machine.advise(this, sink).cookie;
        }

        /** {@code IConnectionPoint::Unadvise(cookie)}. */
        void unadvise(int cookie) {
            enter(Imapi2Call.UNADVISE, "");
            FakeMachine.Advised connection = machine.advised(this, cookie);
            if (connection == null) {
                throw FakeMachine.direct(0x80040200, "Unadvise: no connection " + cookie); // CONNECT_E_NOCONNECTION
            }
            machine.unadvise(connection);
        }
    }

    /** {@code MsftDiscRecorder2}: one handle; the lock count lives here, the owner in the device. */
    final class Recorder extends ComObjectState implements DiscRecorder {
        FakeMachine.@Nullable Device device;
        int generation;
        int count;
        boolean lasting;

        @Override
        public void initializeDiscRecorder(String uniqueId) {
            enter(Imapi2Call.INITIALIZE_DISC_RECORDER, uniqueId);
            synchronized (machine.lock) {
                FakeMachine.Device found = machine.deviceOrNull(uniqueId);
                if (found == null || !found.present) {
                    throw machine.failure(ComCodes.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST, "no recorder " + uniqueId);
                }
                device = found;
                generation = found.generation;
                int alive = found.alive.merge(process, 1, Integer::sum);
                found.maxAlive = Math.max(found.maxAlive, alive);
                // the control worker's objects are short-lived probes (enumeration); a worker's object lasts
                lasting = !Thread.currentThread().getName().equals(FakeMachine.CONTROL_THREAD);
                int lastingAlive = lasting ? found.lasting.merge(process, 1, Integer::sum) : 0;
                if (lastingAlive > 1) {
                    machine.violation(process + " has " + lastingAlive + " lasting recorder objects for " + uniqueId
                            + " at once");
                }
            }
        }

        @Override
        public String vendorId() {
            return usable(Imapi2Call.VENDOR_ID, "").vendor;
        }

        @Override
        public String productId() {
            return usable(Imapi2Call.PRODUCT_ID, "").product;
        }

        @Override
        public String productRevision() {
            return usable(Imapi2Call.PRODUCT_REVISION, "").revision;
        }

        @Override
        public List<String> volumePathNames() {
            return usable(Imapi2Call.VOLUME_PATH_NAMES, "").paths;
        }

        @Override
        public void acquireExclusiveAccess(boolean force, String clientName) {
            FakeMachine.Device d = usable(Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, (force ? "force " : "") + clientName);
            synchronized (machine.lock) {
                if (d.holder == this) {
                    count++;
                    return;
                }
                if (d.holder != null || d.externalOwner != null) {
                    throw machine.failure(machine.lockedCode, "AcquireExclusiveAccess: locked");
                }
                if (d.mounted) {
                    if (!force) {
                        throw machine.failure(ComCodes.HRESULT_FROM_WIN32_ERROR_BAD_COMMAND,
                                "AcquireExclusiveAccess: a volume is mounted");
                    }
                    d.mounted = false;
                }
                d.holder = this;
                d.holderName = clientName;
                count = 1;
            }
        }

        @Override
        public void releaseExclusiveAccess() {
            FakeMachine.Device d = usable(Imapi2Call.RELEASE_EXCLUSIVE_ACCESS, "");
            synchronized (machine.lock) {
                if (d.holder != this || count == 0) {
                    throw machine.failure(machine.releaseAtZeroCode, "ReleaseExclusiveAccess: not held");
                }
                if (--count == 0) {
                    d.holder = null;
                    d.holderName = null;
                }
            }
        }

        @Override
        public @Nullable String exclusiveAccessOwner() {
            FakeMachine.Device d = usable(Imapi2Call.EXCLUSIVE_ACCESS_OWNER, "");
            synchronized (machine.lock) {
                if (d.holder != null) {
                    return d.holderName;
                }
                return d.externalOwner != null ? d.externalOwner : machine.ownerWhenFree;
            }
        }

        @Override
        public List<Integer> supportedProfiles() {
            return usable(Imapi2Call.SUPPORTED_PROFILES, "").supportedProfiles;
        }

        @Override
        public List<Integer> currentProfiles() {
            FakeMachine.Device d = usable(Imapi2Call.CURRENT_PROFILES, "");
            synchronized (machine.lock) {
                MediaProfile profile = MediaProfile.ofImapiType(d.physicalType);
                return profile == MediaProfile.NONE ? List.of() : List.of(profile.mmcProfile());
            }
        }

        FakeMachine.Device usable(Imapi2Call call, String argument) {
            enter(call, argument);
            synchronized (machine.lock) {
                FakeMachine.Device d = device;
                if (d == null) {
                    machine.violation(call + " before InitializeDiscRecorder");
                    throw machine.failure(0xC0AA0003, call + ": no recorder selected");
                }
                if (!d.present) {
                    throw machine.failure(ComCodes.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST, call + ": device gone");
                }
                if (d.generation != generation) {
                    throw machine.failure(ComCodes.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, call + ": stale handle");
                }
                return d;
            }
        }
    }

    /**
     * {@code MsftDiscFormat2Data}: writes through the recorder it is given, synchronously, calling the progress
     * listener on the writing thread as IMAPI2 fires {@code Update}: validating, initializing, one writing update per
     * 64 sectors, finalization, verification when asked, completed. {@link #cancelWrite()} from the listener ends the
     * write with {@code E_IMAPI_REQUEST_CANCELLED} once the listener returns.
     */
    final class DataWriter extends ComObjectState implements DiscFormat2Data {

        static final int SECTORS_PER_UPDATE = 64;

        @Nullable Recorder recorder;
        @Nullable String clientName;
        boolean close = true;
        int speed;
        int verification;
        boolean writing;
        boolean cancelled;

        private FakeMachine.Device medium(Imapi2Call call) {
            enter(call, "");
            Recorder r = recorder;
            if (r == null) {
                throw machine.failure(0xC0AA0003, call + ": no recorder (put_Recorder first)");
            }
            FakeMachine.Device d = r.usable(call, "");
            synchronized (machine.lock) {
                if (d.physicalType == 0 && call != Imapi2Call.SUPPORTED_MEDIA_TYPES) {
                    throw machine.failure(0xC0AA0202, call + ": no medium");
                }
            }
            return d;
        }

        @Override
        public void setRecorder(DiscRecorder value) {
            enter(Imapi2Call.PUT_RECORDER, "");
            recorder = (Recorder) value;
        }

        @Override
        public void setClientName(String name) {
            enter(Imapi2Call.PUT_CLIENT_NAME, name);
            if (!io.discagent.api.ClientNames.isValid(name)) {
                throw machine.failure(0xC0AA0408, "put_ClientName: invalid");
            }
            clientName = name;
        }

        @Override
        public boolean isCurrentMediaSupported(DiscRecorder value) {
            enter(Imapi2Call.IS_CURRENT_MEDIA_SUPPORTED, "");
            FakeMachine.Device d = ((Recorder) value).usable(Imapi2Call.IS_CURRENT_MEDIA_SUPPORTED, "");
            synchronized (machine.lock) {
                return d.physicalType != 0 && d.writableTypes.contains(d.physicalType);
            }
        }

        @Override
        public boolean mediaHeuristicallyBlank() {
            FakeMachine.Device d = medium(Imapi2Call.MEDIA_HEURISTICALLY_BLANK);
            synchronized (machine.lock) {
                return (d.mediaStatus & 0x2) != 0;
            }
        }

        @Override
        public List<Integer> supportedMediaTypes() {
            FakeMachine.Device d = medium(Imapi2Call.SUPPORTED_MEDIA_TYPES);
            synchronized (machine.lock) {
                return d.writableTypes;
            }
        }

        @Override
        public int currentPhysicalMediaType() {
            FakeMachine.Device d = medium(Imapi2Call.CURRENT_PHYSICAL_MEDIA_TYPE);
            synchronized (machine.lock) {
                return d.physicalType;
            }
        }

        @Override
        public int currentMediaStatus() {
            FakeMachine.Device d = medium(Imapi2Call.CURRENT_MEDIA_STATUS);
            synchronized (machine.lock) {
                return d.mediaStatus;
            }
        }

        @Override
        public int totalSectorsOnMedia() {
            FakeMachine.Device d = medium(Imapi2Call.TOTAL_SECTORS_ON_MEDIA);
            synchronized (machine.lock) {
                return d.totalSectors;
            }
        }

        @Override
        public int freeSectorsOnMedia() {
            FakeMachine.Device d = medium(Imapi2Call.FREE_SECTORS_ON_MEDIA);
            synchronized (machine.lock) {
                return d.freeSectors;
            }
        }

        @Override
        public void setForceMediaToBeClosed(boolean value) {
            enter(Imapi2Call.PUT_FORCE_MEDIA_TO_BE_CLOSED, String.valueOf(value));
            close = value;
        }

        @Override
        public void setWriteSpeed(int sectorsPerSecond, boolean pureCav) {
            enter(Imapi2Call.SET_WRITE_SPEED, sectorsPerSecond + (pureCav ? " CAV" : ""));
            speed = sectorsPerSecond;
        }

        @Override
        public void setBurnVerificationLevel(int level) {
            enter(Imapi2Call.PUT_BURN_VERIFICATION_LEVEL, String.valueOf(level));
            verification = level;
        }

        @Override
        public void write(ImageReader image, WriteProgressListener listener) {
            FakeMachine.Device d = medium(Imapi2Call.WRITE);
            Recorder r = recorder;
            int failAt;
            int failCode;
            int pauseAfter;
            FakeMachine.WritePause pause;
            synchronized (machine.lock) {
                if (d.holder != null && d.holder != r) {
                    throw machine.failure(ComCodes.E_IMAPI_RECORDER_LOCKED, "Write: locked by another handle");
                }
                if ((d.mediaStatus & 0x3) == 0) {
                    throw machine.failure(0xC0AA0405, "Write: the medium is not blank");
                }
                if (image.size() > (long) d.freeSectors * 2048) {
                    throw machine.failure(0xC0AA0404, "Write: the stream is too large");
                }
                d.writes++;
                d.writerClientName = clientName;
                d.forceClose = close;
                d.verificationLevel = verification;
                d.writeSpeed = speed;
                d.written.reset();
                failAt = d.writeFailAtSector;
                failCode = d.writeFailCode;
                d.writeFailAtSector = -1;
                pauseAfter = d.pauseAfterUpdates;
                pause = d.pause;
                d.pauseAfterUpdates = -1;
                d.pause = null;
            }
            int sectors = (int) ((image.size() + 2047) / 2048);
            writing = true;
            try {
                fire(listener, 0, 0, sectors, -1, 0);
                fire(listener, 2, 0, sectors, -1, 0);
                int updates = 0;
                for (int lba = 0; lba < sectors; lba += SECTORS_PER_UPDATE) {
                    int n = Math.min(SECTORS_PER_UPDATE, sectors - lba);
                    if (failAt >= 0 && failAt < lba + n) {
                        throw machine.failure(failCode, "Write: failed at sector " + failAt + " (scripted)");
                    }
                    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(n * 2048);
                    long position = (long) lba * 2048;
                    while (buffer.hasRemaining()) {
                        int got = image.read(buffer, position + buffer.position());
                        if (got <= 0) {
                            break;
                        }
                    }
                    synchronized (machine.lock) {
                        d.written.write(buffer.array(), 0, buffer.position());
                    }
                    fire(listener, 4, 0, sectors, lba + n - 1, lba);
                    if (++updates == pauseAfter && pause != null) {
                        pause.hold();
                    }
                }
                fire(listener, 5, 0, sectors, sectors - 1, sectors);
                if (verification > 0) {
                    fire(listener, 7, 0, sectors, sectors - 1, sectors);
                }
                fire(listener, 6, 0, sectors, sectors - 1, sectors);
                synchronized (machine.lock) {
                    boolean overwrite = (d.mediaStatus & 0x1) != 0;
                    d.mediaStatus = overwrite ? d.mediaStatus : close ? 0x4000 : 0x4;
                    d.freeSectors = overwrite ? d.freeSectors : close ? 0 : d.freeSectors - sectors;
                }
            } catch (java.io.IOException e) {
                throw machine.failure(0xC0AA0403, "Write: the stream failed: " + e);
            } finally {
                writing = false;
            }
        }

        /** One {@code Update}; a cancellation asked for from it ends the write when it returns. */
        private void fire(WriteProgressListener listener, int action, int start, int count, int lastWritten,
                int done) {
            int elapsed = done / 64;
            int total = count / 64 + 1;
            listener.update(new WriteProgress(action, start, count, lastWritten, 1 << 20, done < count ? 1 << 19 : 0,
                    elapsed, Math.max(0, total - elapsed), total));
            if (cancelled) {
                throw machine.failure(0xC0AA0002, "Write: cancelled");
            }
        }

        @Override
        public void cancelWrite() {
            enter(Imapi2Call.CANCEL_WRITE, "");
            if (!writing) {
                throw machine.failure(0xC0AA0401, "CancelWrite: no write in progress");
            }
            cancelled = true;
        }
    }
}
