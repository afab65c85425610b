package io.discagent.api;

import io.discagent.api.event.BurnEvent;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.TimeoutEvent;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An agent that owns exclusive access to the optical disc recorders of one machine and shares it between
 * clients, with the semantics of IMAPI2's {@code IDiscRecorder2} exclusive access.
 *
 * <h2>Threads</h2>
 * Every {@code Mono} and {@code Flux} of this API signals on the agent's event loop thread (a Vert.x event loop,
 * named {@code vert.x-eventloop-thread-N}), never on the thread that runs native calls. Do not block in those
 * signals: switch with {@code publishOn} for blocking work. Methods may be called from any thread.
 *
 * <h2>Streams</h2>
 * The streams are hot and never complete while the agent runs (they complete when it closes). Each new subscriber
 * first receives the current lock state of the recorders it asked for ({@link LockTransition.Cause#SNAPSHOT}), then
 * every later event. A subscriber that keeps up never misses an event. A subscriber that falls behind by more than
 * the agent's event buffer (default 1024 unrequested events) stops receiving new events at that moment; it still
 * gets the events already buffered for it if it requests them within the overflow grace (default 1 s), then an
 * {@link io.discagent.api.error.EventOverflowException}. If it does not request them in time, the error comes at once
 * without them (Reactive Streams allows {@code onError} without demand), so even a subscriber that never requests
 * again learns within the grace that it fell behind. Subscribing again starts with the current state.
 *
 * <h2>Outside holders</h2>
 * A recorder held by a process outside the agent (a burning tool, a mount, another IMAPI2 client) has the lock state
 * {@link LockState.Status#EXTERNAL}, naming that holder as the backend's owner discovery reports it. The agent asks
 * the backend on every native acquire that fails with {@code E_IMAPI_RECORDER_LOCKED}, on every
 * {@link #exclusiveAccessOwner} call, and at least every {@code ownerRefreshInterval} (default 2 s) for every recorder
 * that someone watches ({@link #events()}, {@link #lockTransitions()}, {@link #lockTransitions(RecorderId)}) or that an
 * acquire waits for. Appearing and going are lock transitions ({@link LockTransition.Cause#EXTERNAL_ACQUIRED},
 * {@link LockTransition.Cause#EXTERNAL_RELEASED}).
 *
 * <h2>Errors</h2>
 * A {@code null} argument fails with {@link io.discagent.api.error.InvalidArgumentException} ({@code 0x80070057}),
 * signalled on the event loop like every other error.
 */
public interface RecorderAgent {

    /**
     * Opens a client session: the analogue of one {@code IDiscRecorder2} object, with its own lock count per
     * recorder.
     *
     * @param clientName the name other clients see as the owner; 1 to 63 characters of {@code A-Z a-z 0-9}, space,
     *     {@code . , : ; - _}
     * @return the session, or an {@link io.discagent.api.error.InvalidClientNameException}
     */
    Mono<ClientSession> openSession(String clientName);

    /**
     * Every recorder the agent knows, with its lock state.
     *
     * @return the recorders present now, with their lock states
     */
    Mono<List<RecorderInfo>> recorders();

    /**
     * One recorder, with its lock state.
     *
     * @param recorder the recorder's id
     * @return the recorder, or {@link io.discagent.api.error.RecorderRemovedException} if the agent does not know it
     */
    Mono<RecorderInfo> recorder(RecorderId recorder);

    /**
     * The medium in a recorder now: profile, blank, appendable or closed, free capacity, whether an image can be
     * burned on it, the tray, and the kinds of medium the drive writes. It is read from the drive (a native call on
     * the recorder's worker, under the command timeout); no lock is needed. A recorder that is burning answers with
     * what it read when the burn started.
     *
     * @param recorder the recorder's id
     * @return the medium, or {@link io.discagent.api.error.RecorderRemovedException},
     *     {@link io.discagent.api.error.CommandTimeoutException} or the backend's failure
     */
    Mono<MediaInfo> media(RecorderId recorder);

    /**
     * IMAPI2's {@code ExclusiveAccessOwner}: the client name of the session that holds the recorder, or the name
     * the backend reports for a holder outside the agent; empty when the recorder is free. When no session of the
     * agent holds the recorder this asks the backend, and the answer updates the recorder's lock state (an outside
     * holder appears or goes).
     *
     * @param recorder the recorder's id
     * @return the holder's name, or an empty {@code Mono} when the recorder is free;
     *     {@link io.discagent.api.error.RecorderRemovedException} if the recorder is unknown
     */
    Mono<String> exclusiveAccessOwner(RecorderId recorder);

    /**
     * All events: lock transitions (current states first), timeouts, arrivals, removals, media changes and burns.
     *
     * @return the hot stream of every event, in {@link RecorderEvent#sequence()} order
     */
    Flux<RecorderEvent> events();

    /**
     * Lock transitions of every recorder, starting with the current state of each.
     *
     * @return the hot stream of lock transitions
     */
    Flux<LockTransition> lockTransitions();

    /**
     * Lock transitions of one recorder, starting with its current state.
     *
     * @param recorder the recorder's id
     * @return the transitions, or {@link io.discagent.api.error.RecorderRemovedException} if the recorder is unknown
     */
    Flux<LockTransition> lockTransitions(RecorderId recorder);

    /**
     * Acquire waits that timed out, and native commands that timed out.
     *
     * @return the hot stream of {@link io.discagent.api.event.AcquireTimedOutEvent} and
     *     {@link io.discagent.api.event.CommandTimedOutEvent}
     */
    Flux<TimeoutEvent> timeouts();

    /**
     * Arrivals, removals and media changes.
     *
     * @return the hot stream of device events
     */
    Flux<DeviceEvent> deviceEvents();

    /**
     * Every burn of every session: its start, its phases, its progress at most every burn event interval, its end
     * (see {@link BurnEvent}).
     *
     * @return the hot stream of burn events
     */
    Flux<BurnEvent> burnEvents();

    /**
     * Closes every session (releasing its locks), fails pending requests with
     * {@link io.discagent.api.error.RequestCancelledException}, completes the streams and stops the native workers.
     *
     * @return completes once the recorders' workers have stopped (waiting for a worker stuck in a native call no
     *     longer than the command timeout, 10 s when there is none) and the backend is closed; closing again
     *     completes too
     */
    Mono<Void> close();
}
