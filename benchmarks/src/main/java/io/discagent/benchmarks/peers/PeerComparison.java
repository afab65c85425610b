package io.discagent.benchmarks.peers;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The agent beside reactor-pool, Vert.x's local lock and a fair {@link Semaphore}, in one JVM, in rounds: each round
 * runs every figure for every library (in an order that rotates from round to round), so that a library and its peers
 * are measured minutes apart and ratios within a round keep the machine's drift out. Beside each time it reports what
 * the operating system counted for the whole process (context switches, CPU time) per operation: on a shared machine
 * those are far steadier than times.
 *
 * <p>A hand-written harness rather than JMH: the figures are percentiles of a latency taken inside the grant callback,
 * retained heap and cancellation storms, with the OS counters read around exactly the measured section. Warm-up runs
 * before every timed section. Run: {@code java -Xms2g -Xmx2g -cp benchmarks/target/benchmarks.jar
 * io.discagent.benchmarks.peers.PeerComparison [--rounds 3] [--seconds 2] [--out FILE]}.
 */
public final class PeerComparison {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(120);

    private final double seconds;
    private final int handoffSamples;
    private final int cancelWaiters;
    /** figure -> library -> one value per round. */
    private final Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();

    private PeerComparison(double seconds, int handoffSamples, int cancelWaiters) {
        this.seconds = seconds;
        this.handoffSamples = handoffSamples;
        this.cancelWaiters = cancelWaiters;
    }

    public static void main(String[] args) throws Exception {
        int rounds = 3;
        double seconds = 2;
        int samples = 3000;
        int cancel = 100_000;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--cancel" -> cancel = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        PeerComparison comparison = new PeerComparison(seconds, samples, cancel);
        List<Kind> peers = List.of(new Kind("agent", () -> new AgentPeer(200_000)),
                new Kind("pool", ReactorPoolPeer::new), new Kind("vertx", VertxLockPeer::new),
                new Kind("semaphore", FairSemaphorePeer::new));
        for (int round = 0; round < rounds; round++) {
            List<Kind> order = new ArrayList<>(peers);
            Collections.rotate(order, round);
            for (Kind kind : order) {
                comparison.measureAll(kind, round);
            }
        }
        String table = comparison.table(rounds);
        System.out.println(table);
        if (out != null) {
            Files.writeString(out, table);
        }
        System.exit(0);
    }

    /** One library, and how to make a fresh instance of it. */
    private record Kind(String id, Supplier<Peer> make) {
    }

    private void measureAll(Kind kind, int round) throws Exception {
        Supplier<Peer> make = kind.make();
        try (Peer peer = make.get()) {
            log(round, peer, "round trip");
            roundTrip(peer);
            if (peer instanceof AgentPeer agent) {
                log(round, peer, "re-entrant round trip");
                reentrantRoundTrip(agent);
            }
            for (int waiters : new int[] {1, 100}) {
                log(round, peer, "hand-off, " + waiters + " waiting");
                handoff(peer, waiters);
            }
            log(round, peer, "8 threads contending");
            contended(peer, 8);
            if (!(peer instanceof FairSemaphorePeer)) {
                log(round, peer, "heap per session");
                heapPerClient(peer, 10_000);
            }
        }
        if (!kind.id().equals("semaphore")) {
            // Vert.x copies its waiter list on every queued waiter (quadratic: 10k take seconds), so it stops at 10k
            int[] sizes = kind.id().equals("vertx") || cancelWaiters == 10_000 ? new int[] {10_000}
                    : new int[] {10_000, cancelWaiters};
            for (int n : sizes) {
                try (Peer peer = make.get()) {
                    log(round, peer, "heap per waiter and cancel, " + n);
                    heapAndCancel(peer, n);
                }
            }
        }
        if (kind.id().equals("vertx")) {
            try (VertxLockPeer peer = (VertxLockPeer) make.get()) {
                log(round, peer, "timeouts, 10000");
                vertxTimeouts(peer, 10_000);
            }
        }
    }

    private static void log(int round, Peer peer, String what) {
        System.err.printf("%s round %d %-18s %s%n", Instant.now(), round + 1, peer.name(), what);
    }

    private void record(String figure, Peer peer, double value) {
        results.computeIfAbsent(figure, f -> new LinkedHashMap<>()).computeIfAbsent(peer.name(),
                p -> new ArrayList<>()).add(value);
    }

    private void recordCounters(String figure, Peer peer, double[] perOp) {
        record(figure + ": voluntary context switches per op", peer, perOp[0]);
        record(figure + ": CPU µs per op", peer, perOp[2] / 1000);
    }

    // ------------------------------------------------------------------------------------------------ figures

    /** One client acquires and releases, waiting for each; nobody else around. */
    private void roundTrip(Peer peer) {
        Object client = peer.client("Round trip");
        loopFor(seconds / 2, () -> peer.release(client, peer.acquire(client)));
        OsCounters start = OsCounters.now();
        long t0 = System.nanoTime();
        long ops = loopFor(seconds, () -> peer.release(client, peer.acquire(client)));
        long elapsed = System.nanoTime() - t0;
        double[] perOp = OsCounters.now().perOp(start, ops);
        record("uncontended acquire→release, µs", peer, elapsed / 1000.0 / ops);
        recordCounters("uncontended acquire→release", peer, perOp);
        peer.closeClient(client);
    }

    /** The holder acquires again and releases again (count 2 and back to 1): no native call. */
    private void reentrantRoundTrip(AgentPeer peer) {
        Object client = peer.client("Re-entrant");
        Object first = peer.acquire(client);
        loopFor(seconds / 2, () -> peer.release(client, peer.acquire(client)));
        OsCounters start = OsCounters.now();
        long t0 = System.nanoTime();
        long ops = loopFor(seconds, () -> peer.release(client, peer.acquire(client)));
        long elapsed = System.nanoTime() - t0;
        double[] perOp = OsCounters.now().perOp(start, ops);
        record("re-entrant acquire→release (count 2→1), µs", peer, elapsed / 1000.0 / ops);
        recordCounters("re-entrant acquire→release", peer, perOp);
        // the same pair as one request of the caller: the release runs in the grant's continuation, on the loop
        loopFor(seconds / 2, () -> peer.acquireThenRelease(client));
        start = OsCounters.now();
        t0 = System.nanoTime();
        ops = loopFor(seconds, () -> peer.acquireThenRelease(client));
        elapsed = System.nanoTime() - t0;
        perOp = OsCounters.now().perOp(start, ops);
        record("re-entrant acquire→release chained (one wait), µs", peer, elapsed / 1000.0 / ops);
        recordCounters("re-entrant acquire→release chained", peer, perOp);
        peer.release(client, first);
        peer.closeClient(client);
    }

    private static long loopFor(double seconds, Runnable op) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long ops = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 16; i++) {
                op.run();
            }
            ops += 16;
        }
        return ops;
    }

    /**
     * The holder releases while {@code waiters} wait: the time from the release call to the first waiter's grant,
     * taken in its grant callback. Between samples the new holder's predecessor queues again at the tail, and the
     * sample starts only when all {@code waiters} wait.
     */
    private void handoff(Peer peer, int waiters) throws InterruptedException {
        if (peer instanceof FairSemaphorePeer semaphore) {
            semaphoreHandoff(semaphore, waiters);
            return;
        }
        ArrayDeque<Object> idle = new ArrayDeque<>();
        for (int i = 0; i <= waiters; i++) {
            idle.add(peer.client("Client " + i));
        }
        AtomicLong grantedAt = new AtomicLong();
        AtomicReference<Object> grantedPermit = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
        ArrayDeque<Object> queuedClients = new ArrayDeque<>();
        Object holder = idle.poll();
        Object permit = peer.acquire(holder);
        int warm = Math.max(200, handoffSamples / 5);
        long[] samples = new long[handoffSamples];
        OsCounters start = null;
        for (int i = -warm; i < handoffSamples; i++) {
            while (queuedClients.size() < waiters) {
                Object next = idle.poll();
                queuedClients.add(next);
                peer.enqueue(next, p -> {
                    if (draining.get()) {
                        peer.releaseAsync(next, p); // after the measurement: pass it straight on
                        return;
                    }
                    grantedAt.set(System.nanoTime());
                    grantedPermit.set(p);
                });
            }
            await(() -> peer.waiting() >= waiters, "waiters queued");
            if (i == 0) {
                start = OsCounters.now();
            }
            grantedPermit.set(null);
            long t0 = System.nanoTime();
            peer.releaseAsync(holder, permit);
            await(() -> grantedPermit.get() != null, "the grant");
            if (i >= 0) {
                samples[i] = grantedAt.get() - t0;
            }
            idle.add(holder);
            holder = queuedClients.poll();
            permit = grantedPermit.get();
        }
        double[] perOp = OsCounters.now().perOp(start, handoffSamples);
        draining.set(true);
        peer.release(holder, permit);
        await(() -> peer.waiting() == 0, "the queue drained");
        Arrays.sort(samples);
        String figure = "hand-off release→grant, " + waiters + " waiting";
        record(figure + ", p50 µs", peer, samples[samples.length / 2] / 1000.0);
        record(figure + ", p99 µs", peer, samples[(int) (samples.length * 0.99)] / 1000.0);
        recordCounters(figure + " (whole cycle)", peer, perOp);
        for (Object client : idle) {
            peer.closeClient(client);
        }
        peer.closeClient(holder);
    }

    /** The same with threads: {@code waiters + 1} threads loop acquire, report, and queue again. */
    private void semaphoreHandoff(FairSemaphorePeer peer, int waiters) throws InterruptedException {
        Semaphore semaphore = new Semaphore(1, true);
        semaphore.acquireUninterruptibly();
        AtomicLong grantedAt = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean granted = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            Thread t = new Thread(() -> {
                while (true) {
                    semaphore.acquireUninterruptibly();
                    if (stop.get()) {
                        semaphore.release();
                        return;
                    }
                    grantedAt.set(System.nanoTime());
                    granted.set(true);
                }
            }, "semaphore-waiter");
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        int warm = Math.max(200, handoffSamples / 5);
        long[] samples = new long[handoffSamples];
        OsCounters start = null;
        for (int i = -warm; i < handoffSamples; i++) {
            await(() -> semaphore.getQueueLength() >= waiters, "waiters queued");
            if (i == 0) {
                start = OsCounters.now();
            }
            granted.set(false);
            long t0 = System.nanoTime();
            semaphore.release(); // the permit the last grantee holds, released for it as the holder would
            await(granted::get, "the grant");
            if (i >= 0) {
                samples[i] = grantedAt.get() - t0;
            }
        }
        double[] perOp = OsCounters.now().perOp(start, handoffSamples);
        stop.set(true);
        semaphore.release();
        for (Thread t : threads) {
            t.join(10_000);
        }
        Arrays.sort(samples);
        String figure = "hand-off release→grant, " + waiters + " waiting";
        record(figure + ", p50 µs", peer, samples[samples.length / 2] / 1000.0);
        record(figure + ", p99 µs", peer, samples[(int) (samples.length * 0.99)] / 1000.0);
        recordCounters(figure + " (whole cycle)", peer, perOp);
    }

    /** {@code threads} clients acquire and release in a loop; completed cycles per second over all of them. */
    private void contended(Peer peer, int threads) throws InterruptedException {
        List<Object> clients = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            clients.add(peer.client("Contender " + i));
        }
        AtomicLong cycles = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean counting = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        CountDownLatch done = new CountDownLatch(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (Object client : clients) {
            Thread t = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        peer.release(client, peer.acquire(client));
                        if (counting.get()) {
                            cycles.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    done.countDown();
                }
            }, "contender");
            t.setDaemon(true);
            t.start();
        }
        Thread.sleep((long) (seconds * 500));
        OsCounters start = OsCounters.now();
        long t0 = System.nanoTime();
        counting.set(true);
        Thread.sleep((long) (seconds * 1000));
        counting.set(false);
        long elapsed = System.nanoTime() - t0;
        long n = cycles.get();
        OsCounters end = OsCounters.now();
        stop.set(true);
        if (!done.await(120, TimeUnit.SECONDS) || failure.get() != null) {
            throw new IllegalStateException("contenders did not finish", failure.get());
        }
        double[] perOp = end.perOp(start, Math.max(1, n));
        record(threads + " threads contending, cycles/s", peer, n * 1e9 / elapsed);
        record(threads + " threads contending, CPU % of one core", peer, (end.cpuNanos() - start.cpuNanos()) * 100.0
                / elapsed);
        recordCounters(threads + " threads contending", peer, perOp);
        for (Object client : clients) {
            peer.closeClient(client);
        }
    }

    /** Retained heap per client identity (the agent's session). */
    private void heapPerClient(Peer peer, int n) {
        List<Object> clients = new ArrayList<>(n);
        long before = retainedHeap();
        for (int i = 0; i < n; i++) {
            clients.add(peer.client("Session " + i));
        }
        long after = retainedHeap();
        record("heap per session (client identity), B", peer, (after - before) / (double) n);
        for (Object client : clients) {
            peer.closeClient(client);
        }
    }

    /**
     * While a holder holds: retained heap per pending waiter (each of its own client, the clients made beforehand),
     * then every waiter cancelled in random order (timed until the library counts none), then the heap left.
     */
    private void heapAndCancel(Peer peer, int n) {
        Object holder = peer.client("Holder");
        Object permit = peer.acquire(holder);
        List<Object> clients = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            clients.add(peer.client("Waiter " + i));
        }
        List<Runnable> cancels = new ArrayList<>(n);
        long before = retainedHeap();
        for (Object client : clients) {
            cancels.add(peer.enqueue(client, p -> { })); // granted only after the holder's release, at the end
        }
        await(() -> peer.waiting() >= n, n + " waiters queued");
        long queued = retainedHeap();
        record("heap per pending waiter (" + n + " queued), B", peer, (queued - before) / (double) n);
        if (cancels.get(0) != null) {
            Collections.shuffle(cancels, new Random(42));
            long t0 = System.nanoTime();
            for (Runnable cancel : cancels) {
                cancel.run();
            }
            await(() -> peer.waiting() == 0, "every waiter gone");
            record("cancel " + n + " waiters in random order, ms", peer, (System.nanoTime() - t0) / 1e6);
            cancels.clear();
            long left = retainedHeap();
            record("heap left per cancelled waiter (" + n + "), B", peer, (left - before) / (double) n);
        }
        // the clients were made before the baseline: they must stay reachable until the last reading, or the
        // collector takes them (a peer without sessions keeps no reference to them) and the difference goes negative
        java.lang.ref.Reference.reachabilityFence(clients);
        peer.release(holder, permit); // the peer is closed next: Vert.x's waiters go with it
    }

    /** Vert.x has no cancellation of a waiter: {@code n} waiters with a 1 s timeout, timed from then to the last. */
    private void vertxTimeouts(VertxLockPeer peer, int n) throws InterruptedException {
        Object holder = peer.client("Holder");
        Object permit = peer.acquire(holder);
        long before = retainedHeap();
        CountDownLatch done = new CountDownLatch(n);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            peer.enqueueWithTimeout(1000, done::countDown);
        }
        long queuedBy = System.nanoTime();
        if (!done.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the Vert.x waiters did not time out");
        }
        long end = System.nanoTime();
        record("time out " + n + " waiters (1 s wait), ms after the first was due", peer,
                Math.max(0, (end - t0 - TimeUnit.SECONDS.toNanos(1))) / 1e6);
        record("queueing " + n + " waiters, ms", peer, (queuedBy - t0) / 1e6);
        long left = retainedHeap();
        record("heap left per timed-out waiter (" + n + "), B", peer, (left - before) / (double) n);
        peer.release(holder, permit);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        int spins = 0;
        while (!condition.getAsBoolean()) {
            if (++spins % 256 == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("gave up waiting for " + what);
                }
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** Heap in use after collecting until it stops dropping. */
    private static long retainedHeap() {
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long used = MEMORY.getHeapMemoryUsage().getUsed();
            if (previous - used < 16 * 1024) {
                return Math.min(previous, used);
            }
            previous = used;
        }
        return previous;
    }

    // ------------------------------------------------------------------------------------------------ table

    private String table(int rounds) {
        List<String> libraries = List.of("discagent", "reactor-pool", "Vert.x local lock", "fair Semaphore");
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Peers, %d round(s), %s, %d cores, %s %s, %s.%n%n", rounds,
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.vm.version"), Instant.now()));
        b.append("| figure | ").append(String.join(" | ", libraries)).append(" |\n");
        b.append("|---|---|---|---|---|\n");
        for (Map.Entry<String, Map<String, List<Double>>> figure : results.entrySet()) {
            b.append("| ").append(figure.getKey());
            for (String library : libraries) {
                List<Double> values = figure.getValue().get(library);
                b.append(" | ").append(values == null ? "—" : format(values));
            }
            b.append(" |\n");
        }
        b.append("\nValue: the mean over the rounds, [min–max] over the rounds.\n");
        return b.toString();
    }

    private static String format(List<Double> values) {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        double sum = 0;
        for (double v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        double mean = sum / values.size();
        return values.size() == 1 ? number(mean) : number(mean) + " [" + number(min) + "–" + number(max) + "]";
    }

    private static String number(double v) {
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
