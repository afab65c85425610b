package io.discagent.service.metrics;

import io.discagent.agent.DiscAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.error.EventOverflowException;
import io.discagent.api.event.AcquireTimedOutEvent;
import io.discagent.api.event.CommandTimedOutEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import io.discagent.service.session.CloseCause;
import io.discagent.service.session.Lease;
import io.discagent.service.session.LeaseRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.util.retry.Retry;

/**
 * The service's Prometheus metrics (Micrometer): lock hold times, waiters, retries, timeouts, removals, sessions and
 * stream clients.
 *
 * <p>Hold times, timeouts, arrivals and removals come from the agent's event stream ({@link #observe}), whose
 * signals arrive on the agent's event loop one at a time; the counters the HTTP layer bumps are thread-safe
 * Micrometer meters and atomics.
 */
public final class ServiceMetrics implements LeaseRegistry.Listener, AutoCloseable {

    /** The content type of the Prometheus text format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();
    private final Counter acquireTimeouts;
    private final Counter removals;
    private final Counter arrivals;
    private final Map<RecorderId, Instant> holdStarts = new HashMap<>();
    private @Nullable Disposable subscription;

    public ServiceMetrics() {
        Gauge.builder("discagent.sessions.open", sessions, AtomicInteger::get)
                .description("Open client sessions").register(registry);
        Gauge.builder("discagent.recorders.held", held, AtomicInteger::get)
                .description("Recorders held by a session now").register(registry);
        acquireTimeouts = Counter.builder("discagent.acquire.timeouts")
                .description("Acquire requests whose wait timed out").register(registry);
        removals = Counter.builder("discagent.recorder.removals")
                .description("Recorders that went away").register(registry);
        arrivals = Counter.builder("discagent.recorder.arrivals")
                .description("Recorders that arrived after the start").register(registry);
    }

    /**
     * Counts from the agent's events until {@link #close()}, and reads its statistics (waiters and retries of every
     * client, in process or over HTTP) at each scrape.
     */
    public void observe(DiscAgent agent) {
        Gauge.builder("discagent.acquire.waiters", agent, a -> a.statistics().waiting())
                .description("Acquire requests waiting for a recorder now (a pool request once per recorder)")
                .register(registry);
        FunctionCounter.builder("discagent.acquire.retries", agent, a -> a.statistics().retries())
                .description("Acquire attempts made again after the recorder was found locked").register(registry);
        subscription = agent.events()
                .retryWhen(Retry.indefinitely().filter(EventOverflowException.class::isInstance))
                .subscribe(this::onEvent, error -> { });
    }

    /** Reports the number of event-stream clients. */
    public void streamClients(IntSupplier clients) {
        Gauge.builder("discagent.stream.clients", clients::getAsInt)
                .description("Clients of the SSE and WebSocket event streams").register(registry);
    }

    private void onEvent(RecorderEvent event) {
        if (event instanceof LockTransition transition) {
            onTransition(transition);
        } else if (event instanceof AcquireTimedOutEvent) {
            acquireTimeouts.increment();
        } else if (event instanceof CommandTimedOutEvent timedOut) {
            Counter.builder("discagent.command.timeouts").description("Native commands that timed out")
                    .tag("command", timedOut.command()).register(registry).increment();
        } else if (event instanceof RecorderRemovedEvent) {
            removals.increment();
            if (holdStarts.remove(event.recorder()) != null) {
                held.decrementAndGet();
            }
        } else if (event instanceof RecorderArrivedEvent) {
            arrivals.increment();
        }
    }

    private void onTransition(LockTransition t) {
        boolean wasTracked = holdStarts.containsKey(t.recorder());
        if (t.cause() == LockTransition.Cause.SNAPSHOT) {
            if (t.to().isHeld() && !wasTracked) {
                holdStarts.put(t.recorder(), t.at());
                held.incrementAndGet();
            } else if (!t.to().isHeld() && wasTracked) {
                holdStarts.remove(t.recorder());
                held.decrementAndGet();
            }
            return;
        }
        if (!t.from().isHeld() && t.to().isHeld()) {
            if (!wasTracked) {
                held.incrementAndGet();
            }
            holdStarts.put(t.recorder(), t.at());
        } else if (t.from().isHeld() && !t.to().isHeld()) {
            Instant start = holdStarts.remove(t.recorder());
            if (start != null) {
                held.decrementAndGet();
                Timer.builder("discagent.lock.hold").description("How long recorders were held, from free to free")
                        .tag("recorder", t.recorder().value()).tag("cause", t.cause().name())
                        .register(registry).record(Duration.between(start, t.at()));
            }
        }
    }

    /** An acquire request finished: {@code granted}, or the HRESULT name of its failure. */
    public void acquireFinished(String outcome) {
        Counter.builder("discagent.acquires").description("Acquire requests by outcome").tag("outcome", outcome)
                .register(registry).increment();
    }

    @Override
    public void opened(Lease lease) {
        sessions.incrementAndGet();
    }

    @Override
    public void closed(Lease lease, CloseCause cause) {
        sessions.decrementAndGet();
        Counter.builder("discagent.sessions.closed").description("Sessions closed, by cause").tag("cause", cause.tag())
                .register(registry).increment();
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        Disposable d = subscription;
        if (d != null) {
            d.dispose();
        }
        registry.close();
    }
}
