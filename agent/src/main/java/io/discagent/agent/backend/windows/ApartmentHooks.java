package io.discagent.agent.backend.windows;

import io.discagent.agent.spi.IdleWait;
import io.discagent.agent.spi.NativeThreadHooks;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What one native worker of the Windows backend runs: it enters a COM single-threaded apartment at start; while idle
 * it waits for a call or a window message at once ({@link MessageWait}, {@code MsgWaitForMultipleObjectsEx}) or for
 * the end of {@code idleInterval}; after every call and every wake-up it pumps the window messages (cross-apartment
 * calls and IMAPI2's events arrive as messages) and runs the backend's idle work (the control worker handles device
 * changes there); at stop it releases every object made on the thread, leaves the apartment and closes its event.
 *
 * <p>All hooks run on the worker's own thread (see {@link NativeThreadHooks}), except {@link IdleWait#wake()}; one
 * instance per worker.
 */
final class ApartmentHooks implements NativeThreadHooks {

    private final Imapi2 com;
    private final Duration idleInterval;
    private final Runnable idleWork;
    private final MessageWait wait;
    private @Nullable Apartment apartment;

    /**
     * @param com the COM layer
     * @param idleInterval the longest an idle worker waits without a call or a message
     * @param idleWork what else to do after each pump (runs only while the apartment is usable)
     */
    ApartmentHooks(Imapi2 com, Duration idleInterval, Runnable idleWork) {
        this.com = com;
        this.idleInterval = idleInterval;
        this.idleWork = idleWork;
        this.wait = new MessageWait(com);
    }

    @Override
    public void onStart() {
        apartment = Apartment.enter(com);
        wait.open();
    }

    @Override
    public void onIdle() {
        Apartment current = apartment;
        if (current == null || !current.isEntered()) {
            return;
        }
        current.pump();
        idleWork.run();
    }

    @Override
    public Duration idleInterval() {
        return idleInterval;
    }

    @Override
    public IdleWait idleWait() {
        return wait;
    }

    /** The worker's wait, for whoever must wake it (the backend wakes the control worker for device notices). */
    MessageWait messageWait() {
        return wait;
    }

    @Override
    public void onStop() {
        Apartment current = apartment;
        apartment = null;
        try {
            if (current != null) {
                current.leave();
            }
        } finally {
            wait.close();
        }
    }
}
