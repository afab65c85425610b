package io.discagent.agent.backend.windows;

import com.sun.jna.Pointer;
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

        private FakeMachine.Device usable(Imapi2Call call, String argument) {
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
}
