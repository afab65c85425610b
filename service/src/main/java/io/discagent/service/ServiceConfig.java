package io.discagent.service;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;

/**
 * How to run the service: where it listens, which tokens protect it, session leases, limits and the agent's backend.
 * Immutable; build with {@link #builder()}.
 */
public final class ServiceConfig {

    /** The default port. */
    public static final int DEFAULT_PORT = 8731;

    /** The default address: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    private final String host;
    private final int port;
    private final @Nullable String accessToken;
    private final @Nullable String adminToken;
    private final String backend;
    private final Map<String, String> backendProperties;
    private final Duration sessionTtl;
    private final Duration minSessionTtl;
    private final Duration maxSessionTtl;
    private final Duration maxWait;
    private final int maxBodyBytes;
    private final int maxSessions;
    private final int maxPendingPerSession;
    private final int replayEvents;
    private final Duration replayWindow;
    private final Duration keepAliveInterval;
    private final Duration commandTimeout;
    private final @Nullable Scheduler timeScheduler;
    private final boolean demo;

    private ServiceConfig(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.accessToken = b.accessToken;
        this.adminToken = b.adminToken;
        this.backend = b.backend;
        this.backendProperties = Map.copyOf(b.backendProperties);
        this.sessionTtl = b.sessionTtl;
        this.minSessionTtl = b.minSessionTtl;
        this.maxSessionTtl = b.maxSessionTtl;
        this.maxWait = b.maxWait;
        this.maxBodyBytes = b.maxBodyBytes;
        this.maxSessions = b.maxSessions;
        this.maxPendingPerSession = b.maxPendingPerSession;
        this.replayEvents = b.replayEvents;
        this.replayWindow = b.replayWindow;
        this.keepAliveInterval = b.keepAliveInterval;
        this.commandTimeout = b.commandTimeout;
        this.timeScheduler = b.timeScheduler;
        this.demo = b.demo;
    }

    /** A builder with the safe defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The address to bind ({@code 127.0.0.1} by default). */
    public String host() {
        return host;
    }

    /** The port ({@code 8731} by default; 0 picks a free one). */
    public int port() {
        return port;
    }

    /** The token every API request must carry as {@code Authorization: Bearer}, if one is configured. */
    public Optional<String> accessToken() {
        return Optional.ofNullable(accessToken);
    }

    /** The token of admin actions ({@code X-Admin-Token}), if one is configured. */
    public Optional<String> adminToken() {
        return Optional.ofNullable(adminToken);
    }

    /** The agent's backend: {@code auto}, {@code simulated}, {@code linux} or {@code windows}. */
    public String backend() {
        return backend;
    }

    /** Properties for the backend, such as {@code simulated.recorders=3}. */
    public Map<String, String> backendProperties() {
        return backendProperties;
    }

    /** The lease of a session that does not ask for another one. */
    public Duration sessionTtl() {
        return sessionTtl;
    }

    /** The shortest lease a client may ask for. */
    public Duration minSessionTtl() {
        return minSessionTtl;
    }

    /** The longest lease a client may ask for. */
    public Duration maxSessionTtl() {
        return maxSessionTtl;
    }

    /** The longest {@code waitMillis} an acquire may ask for. */
    public Duration maxWait() {
        return maxWait;
    }

    /** The largest request body, in bytes. */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /** How many sessions may be open at once. */
    public int maxSessions() {
        return maxSessions;
    }

    /** How many acquire requests one session may have in progress at once. */
    public int maxPendingPerSession() {
        return maxPendingPerSession;
    }

    /** How many recent events are kept for {@code Last-Event-ID} replay. */
    public int replayEvents() {
        return replayEvents;
    }

    /** How old a kept event may be for {@code Last-Event-ID} replay. */
    public Duration replayWindow() {
        return replayWindow;
    }

    /** How often idle event streams get a keep-alive (SSE comment, WebSocket ping). */
    public Duration keepAliveInterval() {
        return keepAliveInterval;
    }

    /** The agent's native command timeout. */
    public Duration commandTimeout() {
        return commandTimeout;
    }

    /**
     * The scheduler of every delay of the service and the agent (lease expiry, keep-alives, waits, backoff).
     *
     * @throws IllegalStateException when none was given and the service has not made its own yet
     */
    public Scheduler timeScheduler() {
        if (timeScheduler == null) {
            throw new IllegalStateException("no time scheduler: the service makes its own at start");
        }
        return timeScheduler;
    }

    /** Whether a time scheduler was given (otherwise the service makes one, and disposes it when it stops). */
    public boolean hasTimeScheduler() {
        return timeScheduler != null;
    }

    /** A copy with this time scheduler. */
    public ServiceConfig withTimeScheduler(Scheduler scheduler) {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.accessToken = accessToken;
        b.adminToken = adminToken;
        b.backend = backend;
        b.backendProperties.putAll(backendProperties);
        b.sessionTtl = sessionTtl;
        b.minSessionTtl = minSessionTtl;
        b.maxSessionTtl = maxSessionTtl;
        b.maxWait = maxWait;
        b.maxBodyBytes = maxBodyBytes;
        b.maxSessions = maxSessions;
        b.maxPendingPerSession = maxPendingPerSession;
        b.replayEvents = replayEvents;
        b.replayWindow = replayWindow;
        b.keepAliveInterval = keepAliveInterval;
        b.commandTimeout = commandTimeout;
        b.timeScheduler = Objects.requireNonNull(scheduler, "scheduler");
        b.demo = demo;
        return b.build();
    }

    /** Whether to run the demo traffic loop on the simulated backend. */
    public boolean demo() {
        return demo;
    }

    /** Whether the bind address is a loopback address (only this machine can connect). */
    public boolean bindsLoopback() {
        return isLoopback(host);
    }

    static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Builds {@link ServiceConfig}. */
    public static final class Builder {

        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private @Nullable String accessToken;
        private @Nullable String adminToken;
        private String backend = "auto";
        private final Map<String, String> backendProperties = new LinkedHashMap<>();
        private Duration sessionTtl = Duration.ofSeconds(30);
        private Duration minSessionTtl = Duration.ofSeconds(1);
        private Duration maxSessionTtl = Duration.ofHours(1);
        private Duration maxWait = Duration.ofHours(1);
        private int maxBodyBytes = 16 * 1024;
        private int maxSessions = 256;
        private int maxPendingPerSession = 16;
        private int replayEvents = 1024;
        private Duration replayWindow = Duration.ofMinutes(5);
        private Duration keepAliveInterval = Duration.ofSeconds(15);
        private Duration commandTimeout = Duration.ofSeconds(10);
        private @Nullable Scheduler timeScheduler;
        private boolean demo;

        private Builder() {
        }

        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
            }
            this.port = port;
            return this;
        }

        public Builder accessToken(@Nullable String token) {
            this.accessToken = blankToNull(token);
            return this;
        }

        public Builder adminToken(@Nullable String token) {
            this.adminToken = blankToNull(token);
            return this;
        }

        public Builder backend(String backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        public Builder backendProperty(String key, String value) {
            backendProperties.put(key, value);
            return this;
        }

        public Builder sessionTtl(Duration ttl) {
            this.sessionTtl = positive(ttl, "sessionTtl");
            return this;
        }

        public Builder sessionTtlBounds(Duration min, Duration max) {
            if (positive(max, "maxSessionTtl").compareTo(positive(min, "minSessionTtl")) < 0) {
                throw new IllegalArgumentException("maxSessionTtl must not be below minSessionTtl");
            }
            this.minSessionTtl = min;
            this.maxSessionTtl = max;
            return this;
        }

        public Builder maxWait(Duration maxWait) {
            this.maxWait = positive(maxWait, "maxWait");
            return this;
        }

        public Builder maxBodyBytes(int bytes) {
            this.maxBodyBytes = atLeastOne(bytes, "maxBodyBytes");
            return this;
        }

        public Builder maxSessions(int sessions) {
            this.maxSessions = atLeastOne(sessions, "maxSessions");
            return this;
        }

        public Builder maxPendingPerSession(int pending) {
            this.maxPendingPerSession = atLeastOne(pending, "maxPendingPerSession");
            return this;
        }

        public Builder replay(int events, Duration window) {
            this.replayEvents = atLeastOne(events, "replayEvents");
            this.replayWindow = positive(window, "replayWindow");
            return this;
        }

        public Builder keepAliveInterval(Duration interval) {
            this.keepAliveInterval = positive(interval, "keepAliveInterval");
            return this;
        }

        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = positive(timeout, "commandTimeout");
            return this;
        }

        /**
         * The scheduler of every delay; tests pass a {@code VirtualTimeScheduler}. By default the service makes its
         * own ({@code discagent-time}) and disposes it when it stops, so no timer outlives it.
         */
        public Builder timeScheduler(Scheduler scheduler) {
            this.timeScheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        public Builder demo(boolean demo) {
            this.demo = demo;
            return this;
        }

        /**
         * The configuration.
         *
         * @throws IllegalArgumentException when the bind address is not loopback and no access token is set
         */
        public ServiceConfig build() {
            ServiceConfig config = new ServiceConfig(this);
            if (!config.bindsLoopback() && config.accessToken == null) {
                throw new IllegalArgumentException("binding to " + host + " (not a loopback address) requires an "
                        + "access token (--access-token or DISCAGENT_ACCESS_TOKEN)");
            }
            return config;
        }

        private static @Nullable String blankToNull(@Nullable String token) {
            return token == null || token.isBlank() ? null : token;
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + d);
            }
            return d;
        }

        private static int atLeastOne(int value, String name) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be at least 1: " + value);
            }
            return value;
        }
    }
}
