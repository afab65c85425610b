package io.discagent.agent.backend.windows;

import io.discagent.agent.backend.windows.Imapi2.WakeEvent;
import io.discagent.agent.backend.windows.Imapi2.Wakeup;
import io.discagent.agent.spi.IdleWait;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * How an idle native worker of this backend waits: in {@code MsgWaitForMultipleObjectsEx} on an event of its own
 * ({@link Imapi2#createWakeEvent()}), so it wakes at once for a new call ({@link #wake()} sets the event), at once
 * for a window message (a cross-apartment call, a marshalled IMAPI2 event, a broadcast), and otherwise when its idle
 * interval ends. It never wakes just to look at an empty message queue.
 *
 * <h2>Threads</h2>
 * {@link #open()}, {@link #await} and {@link #close()} run on the worker's thread; {@link #wake()} on any thread.
 * When the event cannot be created the worker parks instead, as it would without this wait (and messages then wait
 * for the end of the idle interval).
 */
final class MessageWait implements IdleWait {

    private static final System.Logger LOG = System.getLogger(MessageWait.class.getName());
    /** After a failed wait, the worker sleeps this long rather than spinning. */
    private static final long FAILED_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Imapi2 com;
    private @Nullable WakeEvent event; // guarded by this
    private volatile @Nullable Thread thread;

    MessageWait(Imapi2 com) {
        this.com = com;
    }

    /** Creates the event; on the worker's thread, before its first wait. */
    void open() {
        thread = Thread.currentThread();
        try {
            WakeEvent created = com.createWakeEvent();
            synchronized (this) {
                event = created;
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "no wake event on " + Thread.currentThread().getName() + "; the idle worker "
                    + "parks and pumps only at the end of its idle interval", e);
        }
    }

    @Override
    public void await(long nanos) {
        WakeEvent current;
        synchronized (this) {
            current = event;
        }
        if (current == null) {
            park(nanos);
            return;
        }
        try {
            Wakeup wakeup = current.await(millis(nanos));
            LOG.log(Level.TRACE, "{0} woke: {1}", Thread.currentThread().getName(), wakeup);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "MsgWaitForMultipleObjectsEx failed on " + Thread.currentThread().getName(), e);
            park(nanos <= 0 ? FAILED_WAIT_NANOS : Math.min(nanos, FAILED_WAIT_NANOS));
        }
    }

    @Override
    public synchronized void wake() {
        WakeEvent current = event;
        if (current != null) {
            current.set();
            return;
        }
        Thread waiting = thread;
        if (waiting != null) {
            LockSupport.unpark(waiting);
        }
    }

    /** Closes the event; on the worker's thread, after its last wait. A later {@link #wake()} does nothing harmful. */
    synchronized void close() {
        WakeEvent current = event;
        event = null;
        if (current != null) {
            try {
                current.close();
            } catch (RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "closing the wake event failed", e);
            }
        }
    }

    /** The wait in whole milliseconds, rounded up; {@code INFINITE} for no limit. */
    static int millis(long nanos) {
        if (nanos <= 0) {
            return Imapi2Vtables.INFINITE;
        }
        long nanosPerMilli = TimeUnit.MILLISECONDS.toNanos(1);
        long millis = nanos / nanosPerMilli + (nanos % nanosPerMilli == 0 ? 0 : 1);
        return (int) Math.min(millis, Integer.MAX_VALUE);
    }

    private static void park(long nanos) {
        if (nanos > 0) {
            LockSupport.parkNanos(nanos);
        } else {
            LockSupport.park();
        }
    }
}
