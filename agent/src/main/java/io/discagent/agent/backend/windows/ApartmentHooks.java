package io.discagent.agent.backend.windows;

import io.discagent.agent.spi.NativeThreadHooks;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What one native worker of the Windows backend runs: it enters a COM single-threaded apartment at start, pumps
 * window messages after every call and every {@code idleInterval} while idle (cross-apartment calls and IMAPI2's
 * events arrive as messages), runs the backend's idle work (the control worker handles device changes there), and at
 * stop releases every object made on the thread and leaves the apartment.
 *
 * <p>All four hooks run on the worker's own thread (see {@link NativeThreadHooks}); one instance per worker.
 */
final class ApartmentHooks implements NativeThreadHooks {

    private final Imapi2 com;
    private final Duration idleInterval;
    private final Runnable idleWork;
    private @Nullable Apartment apartment;

    /**
     * @param com the COM layer
     * @param idleInterval how often to pump while idle
     * @param idleWork what else to do after each pump (runs only while the apartment is usable)
     */
    ApartmentHooks(Imapi2 com, Duration idleInterval, Runnable idleWork) {
        this.com = com;
        this.idleInterval = idleInterval;
        this.idleWork = idleWork;
    }

    @Override
    public void onStart() {
        apartment = Apartment.enter(com);
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
    public void onStop() {
        Apartment current = apartment;
        apartment = null;
        if (current != null) {
            current.leave();
        }
    }
}
