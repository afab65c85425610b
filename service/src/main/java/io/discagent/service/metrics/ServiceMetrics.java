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
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.util.retry.Retry;

/**
 * The service's Prometheus metrics (Micrometer): lock hold times, held recorders (by a session, and outside the
 * agent), waiters, retries, timeouts, removals, sessions, acquire outcomes and stream clients; the build's version;
 * and Micrometer's JVM and process binders (memory, GC, threads, class loading, CPU, uptime, open files).
 *
 * <p>Sessions and acquire outcomes are the agent's own counts ({@link DiscAgent#statistics()}), read at each scrape:
 * they count every client of the agent, in-process (library) sessions as much as the service's HTTP clients. Hold
 * times, timeouts, arrivals and removals come from the agent's event stream ({@link #observe}), whose signals arrive
 * on the agent's event loop one at a time; the session closes the service counts by cause are thread-safe Micrometer
 * counters.
 */
public final class ServiceMetrics implements LeaseRegistry.Listener, AutoCloseable {

    /** The content type of the Prometheus text format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** The JVM and process binders, bound once off the start-up path; holds the GC binder, which must be closed. */
    private final CompletableFuture<JvmGcMetrics> jvm = new CompletableFuture<>();
    private final AtomicBoolean jvmBinding = new AtomicBoolean();
    private final AtomicInteger held = new AtomicInteger();
    /** Recorders held outside the agent now. Agent event loop only (its gauge reads the size from any thread). */
    private final Set<RecorderId> heldOutside = ConcurrentHashMap.newKeySet();
    /** The outcomes of acquire requests registered so far, as {@code discagent.acquires} counters. */
    private final Set<String> outcomes = ConcurrentHashMap.newKeySet();
    private volatile @Nullable DiscAgent agent;
    private final Counter acquireTimeouts;
    private final Counter removals;
    private final Counter arrivals;
    private final Map<RecorderId, Instant> holdStarts = new HashMap<>();
    private @Nullable Disposable subscription;

    public ServiceMetrics() {
        Gauge.builder("discagent.build.info", () -> 1)
                .description("The build of the service, as tags (version, java); always 1")
                .tag("version", BuildInfo.version()).tag("java", Runtime.version().toString())
                .register(registry);
        Gauge.builder("discagent.recorders.held", held, AtomicInteger::get)
                .description("Recorders held by a session now").register(registry);
        Gauge.builder("discagent.recorders.external", heldOutside, Set::size)
                .description("Recorders held by a process outside the agent now, as far as the agent knows")
                .register(registry);
        acquireTimeouts = Counter.builder("discagent.acquire.timeouts")
                .description("Acquire requests whose wait timed out").register(registry);
        removals = Counter.builder("discagent.recorder.removals")
                .description("Recorders that went away").register(registry);
        arrivals = Counter.builder("discagent.recorder.arrivals")
                .description("Recorders that arrived after the start").register(registry);
    }

    /**
     * Counts from the agent's events until {@link #close()}, and reads its statistics (sessions, acquire outcomes,
     * waiters and retries of every client, in process or over HTTP) at each scrape.
     */
    public void observe(DiscAgent agent) {
        this.agent = agent;
        Gauge.builder("discagent.sessions.open", agent, a -> a.statistics().sessionsOpen())
                .description("Open sessions: the service's clients and in-process (library) ones").register(registry);
        FunctionCounter.builder("discagent.sessions.opened", agent, a -> a.statistics().sessionsOpened())
                .description("Sessions opened: the service's clients and in-process (library) ones")
                .register(registry);
        Gauge.builder("discagent.acquire.waiters", agent, a -> a.statistics().waiting())
                .description("Acquire requests waiting for a recorder now (a pool request once per recorder)")
                .register(registry);
        FunctionCounter.builder("discagent.acquire.retries", agent, a -> a.statistics().retries())
                .description("Acquire attempts made again after the recorder was found locked").register(registry);
        acquireOutcome("granted", a -> a.statistics().acquiresGranted());
        acquireOutcome("cancelled", a -> a.statistics().acquiresCancelled());
        subscription = agent.events()
                .retryWhen(Retry.indefinitely().filter(EventOverflowException.class::isInstance))
                .subscribe(this::onEvent, error -> { });
    }

    /**
     * Binds Micrometer's JVM and process binders (memory, GC, threads, class loading, JVM info, CPU, uptime, open
     * files) on a thread of their own, once. They load some 230 classes, so the service calls this once it is ready
     * rather than on its start-up path; a scrape waits until they are bound.
     */
    public void bindJvmAndProcessMetrics() {
        if (!jvmBinding.compareAndSet(false, true)) {
            return;
        }
        Thread binder = new Thread(() -> {
            try {
                new ClassLoaderMetrics().bindTo(registry);
                new JvmMemoryMetrics().bindTo(registry);
                JvmGcMetrics gc = new JvmGcMetrics();
                gc.bindTo(registry);
                new JvmThreadMetrics().bindTo(registry);
                new JvmInfoMetrics().bindTo(registry);
                new ProcessorMetrics().bindTo(registry);
                new UptimeMetrics().bindTo(registry);
                new FileDescriptorMetrics().bindTo(registry);
                jvm.complete(gc);
            } catch (Throwable t) {
                jvm.completeExceptionally(t);
            }
        }, "discagent-metrics");
        binder.setDaemon(true);
        binder.start();
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
            heldOutside.remove(event.recorder());
            if (holdStarts.remove(event.recorder()) != null) {
                held.decrementAndGet();
            }
        } else if (event instanceof RecorderArrivedEvent) {
            arrivals.increment();
        }
    }

    private void onTransition(LockTransition t) {
        if (t.to().isExternal()) {
            heldOutside.add(t.recorder());
        } else {
            heldOutside.remove(t.recorder());
        }
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

    /**
     * The counter of the acquire requests of every client that ended with {@code outcome} ({@code granted},
     * {@code cancelled}, or the HRESULT name of a failure), read from the agent's statistics; registered once.
     */
    private void acquireOutcome(String outcome, ToDoubleFunction<DiscAgent> count) {
        DiscAgent observed = agent;
        if (observed != null && outcomes.add(outcome)) {
            FunctionCounter.builder("discagent.acquires", observed, count)
                    .description("Acquire requests of every client by outcome: granted, cancelled, or the HRESULT "
                            + "name of the failure")
                    .tag("outcome", outcome).register(registry);
        }
    }

    @Override
    public void opened(Lease lease) {
        // sessions are counted by the agent, whoever opens them
    }

    @Override
    public void closed(Lease lease, CloseCause cause) {
        Counter.builder("discagent.sessions.closed").description("The service's sessions closed, by cause")
                .tag("cause", cause.tag()).register(registry).increment();
    }

    /** The Prometheus text exposition; failure outcomes the agent has seen since the last scrape get counters first. */
    public String scrape() {
        awaitJvmBinders();
        DiscAgent observed = agent;
        if (observed != null) {
            for (String failure : observed.statistics().acquiresFailed().keySet()) {
                acquireOutcome(failure, a -> a.statistics().acquiresFailed().getOrDefault(failure, 0L));
            }
        }
        return registry.scrape();
    }

    private @Nullable JvmGcMetrics awaitJvmBinders() {
        if (!jvmBinding.get()) {
            return null;
        }
        try {
            return jvm.join();
        } catch (CompletionException | CancellationException e) {
            System.getLogger(ServiceMetrics.class.getName()).log(System.Logger.Level.WARNING,
                    "binding the JVM and process metrics failed", e);
            return null;
        }
    }

    @Override
    public void close() {
        Disposable d = subscription;
        if (d != null) {
            d.dispose();
        }
        JvmGcMetrics gc = awaitJvmBinders();
        if (gc != null) {
            gc.close();
        }
        registry.close();
    }
}
