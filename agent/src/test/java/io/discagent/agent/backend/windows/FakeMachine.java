package io.discagent.agent.backend.windows;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.COM.COMInvokeException;
import com.sun.jna.platform.win32.WinNT.HRESULT;
import com.sun.jna.ptr.PointerByReference;
import io.discagent.api.error.HResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A Windows machine as IMAPI2 shows it, for tests: recorders with cdrom.sys's lock semantics (one owner handle per
 * device, a lock count per recorder object, the lock dropped when its object is released), removal and stale handles,
 * scripted failures in both exception shapes jna-platform produces, and calls that hang. Each process on the machine
 * is a {@link FakeImapi2} (the COM layer one backend sees).
 *
 * <p>It also checks COM's rules and records every breach in {@link #violations()}: a call without
 * {@code CoInitializeEx} on the thread, a call or release on another thread than the object's, a call on a released
 * object, an object still alive at {@code CoUninitialize}, a second lasting recorder object of one device in one
 * process. Device events are fired at advised sinks through their native vtables ({@link NativeCom}), either at once
 * on the firing thread or when the advising thread pumps messages, as an apartment would.
 *
 * <p>Each process sees the machine through one of two COM layers ({@link Layer}): the pure-Java {@link FakeImapi2},
 * or the real binding ({@link JnaImapi2}) running on the native OLE stand-in ({@link ComShim}), whose objects ask this
 * machine what to do ({@link ShimProcess}). The same tests run on both.
 *
 * <p>Thread-safe: one lock guards the state; native sink calls are made outside it.
 */
final class FakeMachine {

    /** The agent's control worker, whose recorder objects are short-lived probes. */
    static final String CONTROL_THREAD = "discagent-native-control";


    /** The COM layer a process of this machine uses. */
    enum Layer {
        /** {@link FakeImapi2}: Java objects. */
        JAVA,
        /** {@link JnaImapi2} on the native stand-in: the real binding, native vtables, BSTRs and SAFEARRAYs. */
        NATIVE
    }

    /** How a failure reaches Java through jna-platform. */
    enum Shape {
        /** A raw vtable call: {@code COMException} whose HRESULT is the code. */
        DIRECT,
        /** Through {@code IDispatch::Invoke}: {@code COMInvokeException}, HRESULT {@code DISP_E_EXCEPTION}, scode = code. */
        DISPATCH
    }

    /** Which entry of the sink IMAPI2 calls. */
    enum EventPath { INVOKE, VTABLE }

    /** When IMAPI2 calls the sink. */
    enum Delivery {
        /** When the advising thread pumps messages (an apartment-threaded source). */
        WHEN_PUMPED,
        /** At once, on the thread that fires (a free-threaded source). */
        IMMEDIATE
    }

    /** One COM call: on which thread, to which object, what. */
    record Call(long threadId, String thread, String process, int object, Imapi2Call call, String argument) {
    }

    final Object lock = new Object();
    private final List<Call> calls = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final Map<String, Device> devices = new LinkedHashMap<>();
    private final Map<Thread, ThreadState> threads = new HashMap<>();
    private final List<Failure> failures = new ArrayList<>();
    private final List<Hang> hangs = new ArrayList<>();
    private final List<Advised> advised = new ArrayList<>();
    private final List<Advised> everAdvised = new ArrayList<>();
    private final List<String> deliveries = new ArrayList<>();
    private final Map<EventKey, FakeEvent> events = new HashMap<>();
    private final List<Wait> waits = new ArrayList<>();
    private final List<String> waiting = new ArrayList<>();
    private final Map<Long, Runnable> dispatching = new HashMap<>();
    private final List<ShimProcess> shims = new ArrayList<>();
    private int nextObject = 1;
    private int nextCookie = 1;
    private long nextToken = 1;
    final Layer layer;

    volatile Shape shape = Shape.DISPATCH;
    volatile EventPath eventPath = EventPath.INVOKE;
    volatile Delivery delivery = Delivery.WHEN_PUMPED;
    /** What a second holder gets: {@code E_IMAPI_RECORDER_LOCKED} or {@code E_ACCESSDENIED} (unverified which). */
    volatile int lockedCode = ComCodes.E_IMAPI_RECORDER_LOCKED;
    /** What a release with count 0 gets (unverified; the driver says ERROR_INVALID_FUNCTION). */
    volatile int releaseAtZeroCode = 0x80070001;
    /** What {@code ExclusiveAccessOwner} says when nobody holds the device ({@code ""} or {@code null}, unverified). */
    volatile @Nullable String ownerWhenFree = "";
    volatile boolean supportedEnvironment = true;
    /**
     * Whether a released source calls each sink it was ever connected to once more, late (as a free-threaded source
     * whose event was in flight while it was unadvised and released might).
     */
    volatile boolean lateEventAtSourceRelease;
    /** The HRESULT {@code Advise} fails with, or {@code S_OK}. */
    volatile int adviseResult = ComCodes.S_OK;
    private final Map<String, Integer> coInitializeResults = new HashMap<>();

    // ------------------------------------------------------------------------------------------------ the machine

    /** A machine whose processes use the pure-Java COM layer. */
    FakeMachine() {
        this(Layer.JAVA);
    }

    FakeMachine(Layer layer) {
        this.layer = layer;
    }

    /** A process (one backend's COM layer) on this machine, in the machine's {@link Layer}. */
    Imapi2 process(String name) {
        if (layer == Layer.JAVA) {
            return new FakeImapi2(this, name);
        }
        ShimProcess shim = new ShimProcess(this, name);
        synchronized (lock) {
            shims.add(shim);
        }
        return shim.imapi2();
    }

    /** The native processes of this machine (none on the Java layer). */
    List<ShimProcess> shims() {
        synchronized (lock) {
            return List.copyOf(shims);
        }
    }

    /** Adds a recorder, present, without an event (as if it was there at boot). */
    Device addDevice(String id) {
        synchronized (lock) {
            Device device = new Device(id);
            devices.put(id, device);
            return device;
        }
    }

    /** Plugs a recorder in (again) and fires {@code NotifyDeviceAdded} at every advised sink. */
    void plugIn(String id) {
        synchronized (lock) {
            Device device = devices.computeIfAbsent(id, Device::new);
            device.present = true;
            device.generation++;
        }
        fire(true, id);
    }

    /** Unplugs a recorder (its lock goes with it) and fires {@code NotifyDeviceRemoved}. */
    void unplug(String id) {
        synchronized (lock) {
            Device device = device(id);
            device.present = false;
            device.holder = null;
            device.holderName = null;
        }
        fire(false, id);
    }

    /** Makes every existing handle of a recorder stale (0x80070006) while the device stays present. */
    void invalidateHandles(String id) {
        synchronized (lock) {
            Device device = device(id);
            device.generation++;
            device.holder = null;
            device.holderName = null;
        }
    }

    /** Adds or removes a recorder silently: only {@code Count}/{@code Item} show it (for polling). */
    void setPresentSilently(String id, boolean present) {
        synchronized (lock) {
            Device device = devices.computeIfAbsent(id, Device::new);
            if (present && !device.present) {
                device.generation++;
            }
            device.present = present;
            if (!present) {
                device.holder = null;
                device.holderName = null;
            }
        }
    }

    /** Another process (not IMAPI2-visible to us) holds the recorder under this name. */
    void lockExternally(String id, @Nullable String owner) {
        synchronized (lock) {
            device(id).externalOwner = owner;
        }
    }

    /** A file system is mounted on the recorder: acquiring without force fails. */
    void mount(String id) {
        synchronized (lock) {
            device(id).mounted = true;
        }
    }

    /** The next {@code times} calls of {@code call} (on any device) fail with {@code code}, in the current shape. */
    void failNext(Imapi2Call call, int code, int times) {
        failNext(call, null, code, times);
    }

    /** The next {@code times} calls of {@code call} on recorder {@code id} fail with {@code code}. */
    void failNext(Imapi2Call call, @Nullable String id, int code, int times) {
        synchronized (lock) {
            failures.add(new Failure(call, id, code, shape, times));
        }
    }

    /** The next call of {@code call} blocks until {@link Hang#release()}. */
    Hang hangNext(Imapi2Call call) {
        synchronized (lock) {
            Hang hang = new Hang(call);
            hangs.add(hang);
            return hang;
        }
    }

    /** {@code CoInitializeEx} on threads whose name starts with {@code threadPrefix} returns {@code hresult}. */
    void coInitializeReturns(String threadPrefix, int hresult) {
        synchronized (lock) {
            coInitializeResults.put(threadPrefix, hresult);
        }
    }

    // ------------------------------------------------------------------------------------------------ observations

    List<Call> calls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    List<Call> calls(Predicate<Call> filter) {
        synchronized (lock) {
            return calls.stream().filter(filter).toList();
        }
    }

    List<String> violations() {
        synchronized (lock) {
            return List.copyOf(violations);
        }
    }

    /** How many times threads named {@code threadName} pumped messages. */
    int pumps(String threadName) {
        synchronized (lock) {
            int pumps = 0;
            for (ThreadState state : threads.values()) {
                if (state.name.equals(threadName)) {
                    pumps += state.pumps;
                }
            }
            return pumps;
        }
    }

    /** Whether the thread named {@code threadName} is in {@code MsgWaitForMultipleObjectsEx} now. */
    boolean isWaiting(String threadName) {
        synchronized (lock) {
            return waiting.contains(threadName);
        }
    }

    /** Every idle wait so far ({@code MsgWaitForMultipleObjectsEx}), in order. */
    List<Wait> waits() {
        synchronized (lock) {
            return List.copyOf(waits);
        }
    }

    /** The most lasting recorder objects one process had alive at once for a device. */
    int maxObjectsAlive(String id) {
        synchronized (lock) {
            return device(id).maxAlive;
        }
    }

    /** Recorder objects now alive for a device, over all processes. */
    int objectsAlive(String id) {
        synchronized (lock) {
            int alive = 0;
            for (int count : device(id).alive.values()) {
                alive += count;
            }
            return alive;
        }
    }

    @Nullable String holderName(String id) {
        synchronized (lock) {
            return device(id).holderName;
        }
    }

    /** The lock count of the object that holds the device, 0 when free. */
    int lockCount(String id) {
        synchronized (lock) {
            FakeImapi2.Recorder holder = device(id).holder;
            return holder == null ? 0 : holder.count;
        }
    }

    boolean isMounted(String id) {
        synchronized (lock) {
            return device(id).mounted;
        }
    }

    /** Every event delivered to a sink: what, through which entry, on which thread. */
    List<String> deliveries() {
        synchronized (lock) {
            return List.copyOf(deliveries);
        }
    }

    /** Sinks currently advised. */
    int advisedSinks() {
        synchronized (lock) {
            return advised.size();
        }
    }

    // ------------------------------------------------------------------------------------------------ COM rules

    /**
     * The common part of every call: logs it, checks the apartment rules, then applies a scripted failure or hang.
     *
     * @param object the object called, or {@code null} for a creation
     */
    void enter(String process, FakeImapi2.@Nullable ComObjectState object, Imapi2Call call, String argument) {
        Hang hang = null;
        synchronized (lock) {
            Thread thread = Thread.currentThread();
            calls.add(new Call(thread.getId(), thread.getName(), process, object == null ? 0 : object.id, call,
                    argument));
            ThreadState state = threads.get(thread);
            if (state == null || state.initialized == 0) {
                violation(call + " on " + thread.getName() + " without CoInitializeEx");
                throw direct(ComCodes.CO_E_NOTINITIALIZED, call + ": CoInitialize has not been called");
            }
            if (object != null) {
                if (object.thread != thread) {
                    violation(call + " of object " + object.id + " (made on " + object.thread.getName() + ") on "
                            + thread.getName());
                    throw direct(ComCodes.RPC_E_WRONG_THREAD, call + ": wrong thread");
                }
                if (object.released) {
                    violation(call + " on released object " + object.id);
                    throw direct(0x80010108, call + ": the object is disconnected");
                }
            }
            String device = object instanceof FakeImapi2.Recorder && ((FakeImapi2.Recorder) object).device != null
                    ? ((FakeImapi2.Recorder) object).device.id : argument;
            for (Failure failure : failures) {
                if (failure.matches(call, device)) {
                    if (--failure.remaining == 0) {
                        failures.remove(failure);
                    }
                    throw failure.exception();
                }
            }
            for (Hang candidate : hangs) {
                if (candidate.call == call) {
                    hangs.remove(candidate);
                    hang = candidate;
                    break;
                }
            }
        }
        if (hang != null) {
            hang.block();
        }
    }

    int coInitializeEx(String process, int coInit) {
        synchronized (lock) {
            Thread thread = Thread.currentThread();
            calls.add(new Call(thread.getId(), thread.getName(), process, 0, Imapi2Call.CO_INITIALIZE_EX,
                    "0x" + Integer.toHexString(coInit)));
            if (coInit != ComCodes.COINIT_APARTMENTTHREADED) {
                violation("CoInitializeEx(" + coInit + ") on " + thread.getName() + " is not an apartment");
            }
            ThreadState state = threads.computeIfAbsent(thread, ThreadState::new);
            int result = ComCodes.S_OK;
            for (Map.Entry<String, Integer> scripted : coInitializeResults.entrySet()) {
                if (thread.getName().startsWith(scripted.getKey())) {
                    result = scripted.getValue();
                }
            }
            if (result == ComCodes.S_OK && state.initialized > 0) {
                result = ComCodes.S_FALSE;
            }
            if (result == ComCodes.S_OK || result == ComCodes.S_FALSE) {
                state.initialized++;
            }
            return result;
        }
    }

    void coUninitialize(String process) {
        synchronized (lock) {
            Thread thread = Thread.currentThread();
            calls.add(new Call(thread.getId(), thread.getName(), process, 0, Imapi2Call.CO_UNINITIALIZE, ""));
            ThreadState state = threads.get(thread);
            if (state == null || state.initialized == 0) {
                violation("CoUninitialize on " + thread.getName() + " without CoInitializeEx");
                return;
            }
            if (!state.live.isEmpty()) {
                violation("objects " + state.live + " still alive at CoUninitialize on " + thread.getName());
            }
            state.initialized--;
        }
    }

    /**
     * {@code PeekMessage(PM_REMOVE)} on the calling thread: the token of the next message queued for it ({@code -1}
     * for {@code WM_QUIT}), or 0 when the queue is empty (which ends a pump pass, counted in {@link #pumps}).
     */
    long peekMessage(boolean remove) {
        synchronized (lock) {
            ThreadState state = threads.get(Thread.currentThread());
            if (state == null || state.initialized == 0) {
                violation("PeekMessage loop on " + Thread.currentThread().getName() + " outside an apartment");
                return 0;
            }
            if (state.messages.isEmpty()) {
                state.pumps++;
                return 0;
            }
            if (!remove) {
                violation("PeekMessage without PM_REMOVE on " + Thread.currentThread().getName());
            }
            Runnable message = state.messages.remove(0);
            if (message == QUIT) {
                return -1;
            }
            long token = nextToken++;
            dispatching.put(token, message);
            return token;
        }
    }

    /** {@code DispatchMessage} of a message {@link #peekMessage} returned: runs it on the calling thread. */
    void dispatchMessage(long token) {
        Runnable message;
        synchronized (lock) {
            message = dispatching.remove(token);
        }
        if (message == null) {
            violation("DispatchMessage of a message never peeked: token " + token);
            return;
        }
        message.run();
    }

    /** Posts {@code WM_QUIT} to the thread named {@code threadName} (the pump must skip it). */
    void postQuit(String threadName) {
        synchronized (lock) {
            for (ThreadState state : threads.values()) {
                if (state.name.equals(threadName)) {
                    state.messages.add(QUIT);
                }
            }
            lock.notifyAll();
        }
    }

    // ------------------------------------------------------------------------------------------------ wake events

    /** {@code CreateEventW}: an auto-reset event of {@code process}. */
    void createEvent(String process, long id) {
        synchronized (lock) {
            events.put(new EventKey(process, id), new FakeEvent());
        }
    }

    /** {@code SetEvent}. */
    void setEvent(String process, long id) {
        synchronized (lock) {
            FakeEvent event = events.get(new EventKey(process, id));
            if (event == null) {
                violation("SetEvent on a closed or unknown event " + id + " of " + process);
                return;
            }
            event.signalled = true;
            lock.notifyAll();
        }
    }

    /** {@code CloseHandle} of an event. */
    void closeEvent(String process, long id) {
        synchronized (lock) {
            if (events.remove(new EventKey(process, id)) == null) {
                violation("CloseHandle of a closed or unknown event " + id + " of " + process);
            }
        }
    }

    /**
     * {@code MsgWaitForMultipleObjectsEx} on the calling thread, for one event ({@code id}) or none ({@code 0}):
     * returns {@code WAIT_OBJECT_0} when the event is set (and resets it), {@code WAIT_OBJECT_0 + count} when a message
     * is queued for the thread, {@code WAIT_TIMEOUT} after {@code millis} ({@code INFINITE}: never). Real time: the
     * waiting thread is a real worker.
     */
    int await(String process, long id, int millis, int wakeMask, int flags) {
        long deadline = millis == Imapi2Vtables.INFINITE ? Long.MAX_VALUE
                : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis & 0xFFFFFFFFL);
        int count = id == 0 ? 0 : 1;
        synchronized (lock) {
            Thread thread = Thread.currentThread();
            ThreadState state = threads.get(thread);
            if ((wakeMask & Imapi2Vtables.QS_ALLINPUT) != Imapi2Vtables.QS_ALLINPUT
                    || (flags & Imapi2Vtables.MWMO_INPUTAVAILABLE) == 0) {
                violation("MsgWaitForMultipleObjectsEx on " + thread.getName() + " would not wake for every message "
                        + "already queued (mask 0x" + Integer.toHexString(wakeMask) + ", flags 0x"
                        + Integer.toHexString(flags) + ")");
            }
            FakeEvent event = id == 0 ? null : events.get(new EventKey(process, id));
            if (id != 0 && event == null) {
                violation("MsgWaitForMultipleObjectsEx on a closed or unknown event " + id + " of " + process);
                return Imapi2Vtables.WAIT_FAILED;
            }
            waiting.add(thread.getName());
            try {
                while (true) {
                    if (event != null && event.signalled) {
                        event.signalled = false;
                        waits.add(new Wait(thread.getName(), millis, Imapi2.Wakeup.SIGNALLED));
                        return Imapi2Vtables.WAIT_OBJECT_0;
                    }
                    if (state != null && !state.messages.isEmpty()) {
                        waits.add(new Wait(thread.getName(), millis, Imapi2.Wakeup.MESSAGE));
                        return Imapi2Vtables.WAIT_OBJECT_0 + count;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        waits.add(new Wait(thread.getName(), millis, Imapi2.Wakeup.TIMEOUT));
                        return Imapi2Vtables.WAIT_TIMEOUT;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(lock, Math.min(left, TimeUnit.SECONDS.toNanos(1)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return Imapi2Vtables.WAIT_FAILED;
                    }
                }
            } finally {
                waiting.remove(thread.getName());
            }
        }
    }

    /** Registers a new object made on the calling thread. */
    int created(FakeImapi2.ComObjectState object) {
        synchronized (lock) {
            ThreadState state = threads.get(Thread.currentThread());
            int id = nextObject++;
            if (state != null) {
                state.live.add(id);
            }
            return id;
        }
    }

    void released(FakeImapi2.ComObjectState object, String process) {
        List<Advised> dropped = new ArrayList<>();
        List<Advised> late = new ArrayList<>();
        synchronized (lock) {
            Thread thread = Thread.currentThread();
            calls.add(new Call(thread.getId(), thread.getName(), process, object.id, Imapi2Call.RELEASE, ""));
            if (object.thread != thread) {
                violation("object " + object.id + " (made on " + object.thread.getName() + ") released on "
                        + thread.getName());
            }
            if (object.released) {
                violation("object " + object.id + " released twice");
                return;
            }
            object.released = true;
            ThreadState state = threads.get(object.thread);
            if (state != null) {
                state.live.remove((Integer) object.id);
            }
            if (object instanceof FakeImapi2.Recorder) {
                FakeImapi2.Recorder recorder = (FakeImapi2.Recorder) object;
                Device device = recorder.device;
                if (device != null) {
                    device.alive.merge(process, -1, Integer::sum);
                    if (recorder.lasting) {
                        device.lasting.merge(process, -1, Integer::sum);
                    }
                    if (device.holder == recorder) {
                        device.holder = null; // the driver drops the lock with its handle
                        device.holderName = null;
                    }
                }
            }
            for (Advised connection : new ArrayList<>(advised)) {
                if (connection.master == object) { // a released source lets go of its sinks
                    advised.remove(connection);
                    dropped.add(connection);
                }
            }
            if (lateEventAtSourceRelease) {
                for (Advised connection : everAdvised) {
                    if (connection.master == object) {
                        late.add(connection);
                    }
                }
            }
        }
        for (Advised connection : late) {
            NativeCom.fire(connection.sink, true, "late", true, connection.sender);
        }
        for (Advised connection : dropped) {
            NativeCom.release(connection.sink);
        }
    }

    void violation(String text) {
        synchronized (lock) {
            violations.add(text);
        }
    }

    // ------------------------------------------------------------------------------------------------ devices

    Device device(String id) {
        synchronized (lock) {
            Device device = devices.get(id);
            if (device == null) {
                throw new IllegalArgumentException("no fake device " + id);
            }
            return device;
        }
    }

    @Nullable Device deviceOrNull(String id) {
        synchronized (lock) {
            return devices.get(id);
        }
    }

    List<String> presentIds() {
        synchronized (lock) {
            return devices.values().stream().filter(d -> d.present).map(d -> d.id).toList();
        }
    }

    boolean isSupportedEnvironment() {
        return supportedEnvironment;
    }

    // ------------------------------------------------------------------------------------------------ events

    /**
     * Connects a sink as a connection point does: {@code QueryInterface(IID_DDiscMaster2Events)} on the
     * {@code IUnknown} given to {@code Advise}, kept referenced until {@link #unadvise}.
     */
    Advised advise(FakeImapi2.ComObjectState master, Pointer sink) {
        PointerByReference events = new PointerByReference();
        int hr = NativeCom.queryInterface(sink, Imapi2Ids.IID_DDISC_MASTER2_EVENTS, events);
        if (hr != ComCodes.S_OK || events.getValue() == null) {
            violation("the sink answered QueryInterface(DDiscMaster2Events) with " + HResult.of(hr));
            throw direct(0x80040202, "Advise: the sink does not implement DDiscMaster2Events");
        }
        synchronized (lock) {
            Advised connection = new Advised(master, events.getValue(), Thread.currentThread(), nextCookie++);
            advised.add(connection);
            everAdvised.add(connection);
            return connection;
        }
    }

    /** The connection {@code Advise} returned {@code cookie} for, on {@code master}. */
    @Nullable Advised advised(FakeImapi2.ComObjectState master, int cookie) {
        synchronized (lock) {
            for (Advised connection : advised) {
                if (connection.master == master && connection.cookie == cookie) {
                    return connection;
                }
            }
            return null;
        }
    }

    void unadvise(Advised connection) {
        synchronized (lock) {
            advised.remove(connection);
        }
        int remaining = NativeCom.release(connection.sink);
        if (remaining != 1) {
            violation("after Unadvise the sink's reference count is " + remaining + ", not the owner's 1");
        }
    }

    private void fire(boolean added, String id) {
        List<Runnable> now = new ArrayList<>();
        synchronized (lock) {
            for (Advised connection : advised) {
                EventPath path = eventPath;
                Runnable delivery = () -> {
                    synchronized (lock) {
                        deliveries.add((added ? "NotifyDeviceAdded " : "NotifyDeviceRemoved ") + id + " via " + path
                                + " on " + Thread.currentThread().getName());
                    }
                    int hr = NativeCom.fire(connection.sink, added, id, path == EventPath.INVOKE, connection.sender);
                    if (hr != ComCodes.S_OK) {
                        violation("the sink answered " + (added ? "NotifyDeviceAdded" : "NotifyDeviceRemoved")
                                + " with " + HResult.of(hr));
                    }
                };
                if (this.delivery == Delivery.IMMEDIATE) {
                    now.add(delivery);
                } else {
                    threads.get(connection.thread).messages.add(delivery);
                }
            }
            lock.notifyAll(); // a waiting thread wakes for its new message
        }
        now.forEach(Runnable::run);
    }

    // ------------------------------------------------------------------------------------------------ exceptions

    RuntimeException failure(int code, String what) {
        return exception(shape, code, what);
    }

    static RuntimeException direct(int code, String what) {
        return exception(Shape.DIRECT, code, what);
    }

    static RuntimeException exception(Shape shape, int code, String what) {
        if (shape == Shape.DIRECT) {
            return new COMException(what + " (" + HResult.of(code) + ")", new HRESULT(code));
        }
        return new COMInvokeException(what, new HRESULT(ComCodes.DISP_E_EXCEPTION), null,
                HResult.of(code).message(), null, null, code, "IMAPI2 (fake)", 0);
    }

    // ------------------------------------------------------------------------------------------------ state

    /** A recorder of the machine. */
    static final class Device {
        final String id;
        String vendor = "HL-DT-ST";
        String product = "BD-RE BH16NS40 ";
        String revision = "1.02";
        List<String> paths = List.of("E:\\");
        boolean present = true;
        int generation;
        FakeImapi2.@Nullable Recorder holder;
        @Nullable String holderName;
        @Nullable String externalOwner;
        boolean mounted;
        final Map<String, Integer> alive = new HashMap<>();
        final Map<String, Integer> lasting = new HashMap<>();
        int maxAlive;
        // the medium, as IDiscFormat2Data reports it
        /** {@code IMAPI_MEDIA_PHYSICAL_TYPE}: a blank DVD+R by default; 0 for no medium. */
        int physicalType = 6;
        /** {@code IMAPI_FORMAT2_DATA_MEDIA_STATE}. */
        int mediaStatus = 0x2;
        int totalSectors = 2_295_104;
        int freeSectors = 2_295_104;
        List<Integer> writableTypes = List.of(2, 3, 6, 7, 9, 10, 18, 19);
        List<Integer> supportedProfiles = List.of(0x09, 0x0A, 0x10, 0x11, 0x1A, 0x1B, 0x40, 0x41, 0x43);
        /** What writes wrote on the medium. */
        final java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
        /** The write fails with {@link #writeFailCode} once it reaches this sector; -1 never. */
        int writeFailAtSector = -1;
        int writeFailCode;
        /** The write waits after this many WRITING updates until {@link WritePause#resume()}; -1 never. */
        int pauseAfterUpdates = -1;
        @Nullable WritePause pause;
        /** The settings the last write ran with. */
        @Nullable String writerClientName;
        boolean forceClose;
        int verificationLevel;
        int writeSpeed;
        int writes;

        Device(String id) {
            this.id = id;
        }
    }

    /** A write held after some updates, as a slow drive would keep it going. */
    static final class WritePause {
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch resumed = new CountDownLatch(1);

        /** Waits until the write has reached the pause. */
        void awaitReached() {
            try {
                if (!reached.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new AssertionError("the write did not reach its pause");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        /** Lets the write go on. */
        void resume() {
            resumed.countDown();
        }

        void hold() {
            reached.countDown();
            try {
                resumed.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The medium of a device: its physical type, media state, and sectors. */
    void media(String id, int physicalType, int mediaStatus, int totalSectors, int freeSectors) {
        synchronized (lock) {
            Device d = device(id);
            d.physicalType = physicalType;
            d.mediaStatus = mediaStatus;
            d.totalSectors = totalSectors;
            d.freeSectors = freeSectors;
        }
    }

    /** The next write on the device fails with {@code code} when it reaches {@code sector}. */
    void failWriteAt(String id, int sector, int code) {
        synchronized (lock) {
            Device d = device(id);
            d.writeFailAtSector = sector;
            d.writeFailCode = code;
        }
    }

    /** The next write on the device holds after {@code updates} progress updates until the pause is resumed. */
    WritePause pauseWriteAfter(String id, int updates) {
        synchronized (lock) {
            Device d = device(id);
            d.pauseAfterUpdates = updates;
            d.pause = new WritePause();
            return d.pause;
        }
    }

    /** What writes wrote on the device's medium. */
    byte[] written(String id) {
        synchronized (lock) {
            return device(id).written.toByteArray();
        }
    }

    private static final class ThreadState {
        final String name;
        int initialized;
        int pumps;
        final List<Integer> live = new ArrayList<>();
        final List<Runnable> messages = new ArrayList<>();

        ThreadState(Thread thread) {
            this.name = thread.getName();
        }
    }

    private static final class Failure {
        final Imapi2Call call;
        final @Nullable String device;
        final int code;
        final Shape shape;
        int remaining;

        Failure(Imapi2Call call, @Nullable String device, int code, Shape shape, int times) {
            this.call = call;
            this.device = device;
            this.code = code;
            this.shape = shape;
            this.remaining = times;
        }

        boolean matches(Imapi2Call candidate, String deviceId) {
            return call == candidate && (device == null || device.equals(deviceId));
        }

        RuntimeException exception() {
            return FakeMachine.exception(shape, code, call + " failed (scripted)");
        }
    }

    /** A call that blocks until released. */
    static final class Hang {
        final Imapi2Call call;
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        Hang(Imapi2Call call) {
            this.call = call;
        }

        void block() {
            entered.countDown();
            try {
                if (!released.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("a hung " + call + " was never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Waits until the hung call has started. */
        boolean awaitEntered() throws InterruptedException {
            return entered.await(10, TimeUnit.SECONDS);
        }

        void release() {
            released.countDown();
        }
    }

    /** A sink connected to a master's events. */
    static final class Advised {
        final FakeImapi2.ComObjectState master;
        final Pointer sink;
        final Thread thread;
        final int cookie;
        final Memory sender = new Memory(8);

        Advised(FakeImapi2.ComObjectState master, Pointer sink, Thread thread, int cookie) {
            this.master = master;
            this.sink = sink;
            this.thread = thread;
            this.cookie = cookie;
        }
    }

    /** The message that stands for {@code WM_QUIT} in a thread's queue. */
    private static final Runnable QUIT = () -> { };

    /** An event of one process. */
    private record EventKey(String process, long id) {
    }

    private static final class FakeEvent {
        boolean signalled;
    }

    /**
     * One idle wait: which thread, for how long at most ({@code -1}: {@code INFINITE}), and what ended it.
     */
    record Wait(String thread, int millis, Imapi2.Wakeup wakeup) {
    }
}
