package io.discagent.service;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.Setting;
import io.discagent.api.error.InvalidArgumentException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import io.discagent.service.http.OriginPolicy;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How to run the service: where it listens, which tokens protect it, session leases and limits, and the agent's own
 * {@link AgentOptions} (nested, not copied). Immutable; build with {@link #builder()}.
 *
 * <p>Every tunable of the service is described once in {@link #settings()} (with its {@code DEFAULT_*}), like the
 * agent's in {@link AgentOptions#settings()}: {@code discagent serve}'s options and the docs are derived from both
 * lists. The time scheduler is not configuration: {@link DiscService#start(ServiceConfig, reactor.core.scheduler
 * .Scheduler)} takes it.
 */
public final class ServiceConfig {

    /** The shortest access or admin token a non-loopback bind accepts (32 characters, such as 24 random bytes). */
    public static final int MIN_REMOTE_TOKEN_LENGTH = 32;
    /** The default address: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The default port. */
    public static final int DEFAULT_PORT = 8731;
    public static final Duration DEFAULT_SESSION_TTL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MIN_SESSION_TTL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX_SESSION_TTL = Duration.ofHours(1);
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofHours(1);
    public static final int DEFAULT_MAX_BODY_BYTES = 16 * 1024;
    public static final int DEFAULT_MAX_SESSIONS = 256;
    public static final int DEFAULT_MAX_PENDING_PER_SESSION = 16;
    public static final int DEFAULT_REPLAY_EVENTS = 1024;
    public static final Duration DEFAULT_REPLAY_WINDOW = Duration.ofMinutes(5);
    public static final Duration DEFAULT_KEEP_ALIVE_INTERVAL = Duration.ofSeconds(15);
    /** No burn directory: burning through the service is off. */
    public static final String DEFAULT_BURN_DIRECTORY = "";
    /** No names besides the loopback ones and the bind host. */
    public static final String DEFAULT_ALLOWED_HOSTS = "";
    /** No web pages besides the service's own status page. */
    public static final String DEFAULT_ALLOWED_ORIGINS = "";
    /** The simulator's control endpoints are off unless asked for (or the demo runs). */
    public static final boolean DEFAULT_SIMULATOR_CONTROL = false;
    public static final int DEFAULT_MAX_SIMULATED_RECORDERS = 16;
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONNECTIONS = 2048;
    public static final Duration DEFAULT_STREAM_STALL_TIMEOUT = Duration.ofSeconds(10);
    public static final boolean DEFAULT_ACCESS_LOG = false;
    /** No fleet: the service runs alone. */
    public static final String DEFAULT_CLUSTER = "";
    /** The node's name in a fleet: the machine's host name. */
    public static final String DEFAULT_NODE = "";
    public static final String DEFAULT_CLUSTER_HOST = "127.0.0.1";
    public static final int DEFAULT_CLUSTER_PORT = 5701;
    public static final String DEFAULT_CLUSTER_MEMBERS = "";
    public static final String DEFAULT_CLUSTER_SECRET_FILE = "";
    public static final boolean DEFAULT_CLUSTER_ALLOW_REMOTE = false;
    public static final Duration DEFAULT_FLEET_HEARTBEAT = Duration.ofSeconds(1);
    public static final Duration DEFAULT_FLEET_STALE_AFTER = Duration.ofSeconds(5);
    /** The shortest fleet secret accepted, in bytes. */
    public static final int MIN_CLUSTER_SECRET_BYTES = 32;
    /** A fleet's or a node's name. */
    private static final Pattern FLEET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private static final List<Setting<Builder, ServiceConfig, ?>> SETTINGS = List.of(
            new Setting<>("host", String.class, DEFAULT_HOST, "The address to bind; any non-loopback one needs an "
                    + "access token.", Builder::host, ServiceConfig::host),
            new Setting<>("port", Integer.class, DEFAULT_PORT, "The port (0: any free one).", Builder::port,
                    ServiceConfig::port),
            new Setting<>("sessionTtl", Duration.class, DEFAULT_SESSION_TTL,
                    "A session's lease when it asks for none.", Builder::sessionTtl, ServiceConfig::sessionTtl),
            new Setting<>("minSessionTtl", Duration.class, DEFAULT_MIN_SESSION_TTL,
                    "The shortest lease a client may ask for.", Builder::minSessionTtl, ServiceConfig::minSessionTtl),
            new Setting<>("maxSessionTtl", Duration.class, DEFAULT_MAX_SESSION_TTL,
                    "The longest lease a client may ask for.", Builder::maxSessionTtl, ServiceConfig::maxSessionTtl),
            new Setting<>("maxWait", Duration.class, DEFAULT_MAX_WAIT, "The longest wait an acquire may ask for.",
                    Builder::maxWait, ServiceConfig::maxWait),
            new Setting<>("maxBody", Integer.class, DEFAULT_MAX_BODY_BYTES, "The largest request body, in bytes.",
                    Builder::maxBodyBytes, ServiceConfig::maxBodyBytes),
            new Setting<>("maxSessions", Integer.class, DEFAULT_MAX_SESSIONS, "How many sessions may be open at once.",
                    Builder::maxSessions, ServiceConfig::maxSessions),
            new Setting<>("maxPending", Integer.class, DEFAULT_MAX_PENDING_PER_SESSION,
                    "How many acquire requests one session may have in progress at once.",
                    Builder::maxPendingPerSession, ServiceConfig::maxPendingPerSession),
            new Setting<>("replayEvents", Integer.class, DEFAULT_REPLAY_EVENTS,
                    "How many recent events are kept for Last-Event-ID replay.", Builder::replayEvents,
                    ServiceConfig::replayEvents),
            new Setting<>("replayWindow", Duration.class, DEFAULT_REPLAY_WINDOW,
                    "How old a kept event may be for Last-Event-ID replay.", Builder::replayWindow,
                    ServiceConfig::replayWindow),
            new Setting<>("keepAliveInterval", Duration.class, DEFAULT_KEEP_ALIVE_INTERVAL,
                    "How often idle event streams get a keep-alive (SSE comment, WebSocket ping).",
                    Builder::keepAliveInterval, ServiceConfig::keepAliveInterval),
            new Setting<>("burnDirectory", String.class, DEFAULT_BURN_DIRECTORY,
                    "The directory whose images clients may burn (an image's real path must be inside it); empty: "
                    + "burning through the service is off.", Builder::burnDirectory,
                    c -> c.burnDirectory().map(java.nio.file.Path::toString).orElse(DEFAULT_BURN_DIRECTORY)),
            new Setting<>("accessLog", Boolean.class, DEFAULT_ACCESS_LOG,
                    "Write one log line per HTTP request: client, method, path, status, bytes, milliseconds.",
                    Builder::accessLog, ServiceConfig::accessLog),
            new Setting<>("allowedHosts", String.class, DEFAULT_ALLOWED_HOSTS,
                    "More names clients may give in the Host header, comma-separated (loopback names and the bind "
                    + "address are always allowed); only names you control.",
                    Builder::allowedHosts, c -> String.join(",", c.allowedHosts())),
            new Setting<>("allowedOrigins", String.class, DEFAULT_ALLOWED_ORIGINS,
                    "Web pages (scheme://host[:port], comma-separated) that may call the API besides the service's "
                    + "own status page.",
                    Builder::allowedOrigins, c -> String.join(",", c.allowedOrigins())),
            new Setting<>("simulatorControl", Boolean.class, DEFAULT_SIMULATOR_CONTROL,
                    "Serve the simulator's control endpoints (/api/v1/sim) when the simulated backend runs; --demo "
                    + "turns them on.", Builder::simulatorControl, ServiceConfig::simulatorControl),
            new Setting<>("maxSimulatedRecorders", Integer.class, DEFAULT_MAX_SIMULATED_RECORDERS,
                    "How many simulated recorders may be present at once (each has its own native thread); "
                    + "adding more through the API is refused.", Builder::maxSimulatedRecorders,
                    ServiceConfig::maxSimulatedRecorders),
            new Setting<>("headerTimeout", Duration.class, DEFAULT_HEADER_TIMEOUT,
                    "How long a new connection may take to send its first request's headers before it is closed.",
                    Builder::headerTimeout, ServiceConfig::headerTimeout),
            new Setting<>("requestTimeout", Duration.class, DEFAULT_REQUEST_TIMEOUT,
                    "How long a request's body may take to arrive after its headers (408 and the connection closed).",
                    Builder::requestTimeout, ServiceConfig::requestTimeout),
            new Setting<>("idleTimeout", Duration.class, DEFAULT_IDLE_TIMEOUT,
                    "How long a keep-alive connection may wait between a response and its next request's headers.",
                    Builder::idleTimeout, ServiceConfig::idleTimeout),
            new Setting<>("maxConnections", Integer.class, DEFAULT_MAX_CONNECTIONS,
                    "How many connections may be open at once (event streams included); more are closed at once.",
                    Builder::maxConnections, ServiceConfig::maxConnections),
            new Setting<>("streamStallTimeout", Duration.class, DEFAULT_STREAM_STALL_TIMEOUT,
                    "How long an event-stream client's connection may take nothing while events wait for it before "
                    + "it is disconnected (it reconnects with Last-Event-ID).",
                    Builder::streamStallTimeout, ServiceConfig::streamStallTimeout),
            new Setting<>("cluster", String.class, DEFAULT_CLUSTER,
                    "The fleet to join (its name, shared by its members); empty: no fleet. Needs "
                    + "--cluster-secret-file.", Builder::cluster, c -> c.fleet == null ? "" : c.fleet.name()),
            new Setting<>("node", String.class, DEFAULT_NODE,
                    "This node's name in the fleet (default: the host name); recorders are node/id there.",
                    Builder::node, c -> c.node),
            new Setting<>("clusterHost", String.class, DEFAULT_CLUSTER_HOST,
                    "The address the cluster's ports bind to; a non-loopback one needs --cluster-allow-remote.",
                    Builder::clusterHost, c -> c.clusterHost),
            new Setting<>("clusterPort", Integer.class, DEFAULT_CLUSTER_PORT,
                    "The cluster member port (Hazelcast); the event bus takes a free port on the same address.",
                    Builder::clusterPort, c -> c.clusterPort),
            new Setting<>("clusterMembers", String.class, DEFAULT_CLUSTER_MEMBERS,
                    "The other members to join, host:port comma-separated (TCP/IP join; no multicast).",
                    Builder::clusterMembers, c -> String.join(",", c.clusterMembers)),
            new Setting<>("clusterSecretFile", String.class, DEFAULT_CLUSTER_SECRET_FILE,
                    "A file holding the fleet's shared secret (at least " + MIN_CLUSTER_SECRET_BYTES + " bytes, such "
                    + "as `openssl rand -base64 48`; white space around it is not part of it): it seals every fleet "
                    + "message, and members without it are refused.", Builder::clusterSecretFile, c -> c.clusterSecretFile),
            new Setting<>("clusterAllowRemote", Boolean.class, DEFAULT_CLUSTER_ALLOW_REMOTE,
                    "Allow a non-loopback cluster address or member (the fleet's ports are then reachable from "
                    + "the network).", Builder::clusterAllowRemote, c -> c.clusterAllowRemote),
            new Setting<>("fleetHeartbeat", Duration.class, DEFAULT_FLEET_HEARTBEAT,
                    "How often a fleet node publishes its recorders even when nothing changed.",
                    Builder::fleetHeartbeat, c -> c.fleetHeartbeat),
            new Setting<>("fleetStaleAfter", Duration.class, DEFAULT_FLEET_STALE_AFTER,
                    "How long a fleet node may stay silent before its recorders are shown unreachable.",
                    Builder::fleetStaleAfter, c -> c.fleetStaleAfter));

    /** A DNS name or an address literal (IPv6 with or without brackets), without a port. */
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?"
            + "|\\[?[0-9A-Fa-f:.]+]?");

    private final String host;
    private final int port;
    private final @Nullable String accessToken;
    private final @Nullable String adminToken;
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
    private final java.nio.file.@Nullable Path burnDirectory;
    private final List<String> allowedHosts;
    private final List<String> allowedOrigins;
    private final boolean simulatorControl;
    private final int maxSimulatedRecorders;
    private final Duration headerTimeout;
    private final Duration requestTimeout;
    private final Duration idleTimeout;
    private final int maxConnections;
    private final Duration streamStallTimeout;
    private final boolean accessLog;
    private final boolean demo;
    private final AgentOptions agent;
    private final String node;
    private final String clusterHost;
    private final int clusterPort;
    private final List<String> clusterMembers;
    private final String clusterSecretFile;
    private final boolean clusterAllowRemote;
    private final Duration fleetHeartbeat;
    private final Duration fleetStaleAfter;
    private final io.discagent.service.fleet.@Nullable FleetConfig fleet;

    private ServiceConfig(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.accessToken = b.accessToken;
        this.adminToken = b.adminToken;
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
        this.burnDirectory = b.burnDirectory;
        this.allowedHosts = b.allowedHosts;
        this.allowedOrigins = b.allowedOrigins;
        this.simulatorControl = b.simulatorControl;
        this.maxSimulatedRecorders = b.maxSimulatedRecorders;
        this.headerTimeout = b.headerTimeout;
        this.requestTimeout = b.requestTimeout;
        this.idleTimeout = b.idleTimeout;
        this.maxConnections = b.maxConnections;
        this.streamStallTimeout = b.streamStallTimeout;
        this.accessLog = b.accessLog;
        this.demo = b.demo;
        this.agent = b.agent.build();
        this.node = b.node;
        this.clusterHost = b.clusterHost;
        this.clusterPort = b.clusterPort;
        this.clusterMembers = b.clusterMembers;
        this.clusterSecretFile = b.clusterSecretFile;
        this.clusterAllowRemote = b.clusterAllowRemote;
        this.fleetHeartbeat = b.fleetHeartbeat;
        this.fleetStaleAfter = b.fleetStaleAfter;
        this.fleet = b.fleet();
    }

    /** A builder with the safe defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Every tunable of the service, described once (see the class comment). */
    public static List<Setting<Builder, ServiceConfig, ?>> settings() {
        return SETTINGS;
    }

    /** The agent's options. */
    public AgentOptions agent() {
        return agent;
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

    /**
     * The directory whose images clients may burn through {@code POST /api/v1/recorders/{rid}/burns}; empty when
     * burning through the service is off.
     */
    public Optional<java.nio.file.Path> burnDirectory() {
        return Optional.ofNullable(burnDirectory);
    }

    /**
     * Names a client may give in the {@code Host} header besides the loopback names and the bind host (lower case).
     */
    public List<String> allowedHosts() {
        return allowedHosts;
    }

    /** Web origins ({@code scheme://host:port}) whose pages may call the API besides the service's own. */
    public List<String> allowedOrigins() {
        return allowedOrigins;
    }

    /** Whether the simulator's control endpoints were asked for (the demo turns them on too). */
    public boolean simulatorControl() {
        return simulatorControl;
    }

    /** Whether {@code /api/v1/sim} is served when the simulated backend runs: asked for, or the demo runs. */
    public boolean servesSimulatorControl() {
        return simulatorControl || demo;
    }

    /** How many simulated recorders may be present at once (each has a native thread). */
    public int maxSimulatedRecorders() {
        return maxSimulatedRecorders;
    }

    /** How long a new connection may take to send its first request's headers. */
    public Duration headerTimeout() {
        return headerTimeout;
    }

    /** How long a request's body may take to arrive after its headers. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** How long a keep-alive connection may wait between a response and its next request's headers. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** How many connections may be open at once. */
    public int maxConnections() {
        return maxConnections;
    }

    /** How long an event-stream client's connection may take nothing while events wait for it. */
    public Duration streamStallTimeout() {
        return streamStallTimeout;
    }

    /** The fleet this service joins ({@code --cluster}), if any. */
    public Optional<io.discagent.service.fleet.FleetConfig> fleet() {
        return Optional.ofNullable(fleet);
    }

    /** Whether every HTTP request is logged (to {@code io.discagent.service.access}). */
    public boolean accessLog() {
        return accessLog;
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

    /** Builds {@link ServiceConfig}; every setter validates its argument ({@code InvalidArgumentException}). */
    public static final class Builder {

        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private @Nullable String accessToken;
        private @Nullable String adminToken;
        private Duration sessionTtl = DEFAULT_SESSION_TTL;
        private Duration minSessionTtl = DEFAULT_MIN_SESSION_TTL;
        private Duration maxSessionTtl = DEFAULT_MAX_SESSION_TTL;
        private Duration maxWait = DEFAULT_MAX_WAIT;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxSessions = DEFAULT_MAX_SESSIONS;
        private int maxPendingPerSession = DEFAULT_MAX_PENDING_PER_SESSION;
        private int replayEvents = DEFAULT_REPLAY_EVENTS;
        private Duration replayWindow = DEFAULT_REPLAY_WINDOW;
        private Duration keepAliveInterval = DEFAULT_KEEP_ALIVE_INTERVAL;
        private java.nio.file.@Nullable Path burnDirectory;
        private String cluster = DEFAULT_CLUSTER;
        private String node = DEFAULT_NODE;
        private String clusterHost = DEFAULT_CLUSTER_HOST;
        private int clusterPort = DEFAULT_CLUSTER_PORT;
        private List<String> clusterMembers = List.of();
        private String clusterSecretFile = DEFAULT_CLUSTER_SECRET_FILE;
        private byte @Nullable [] clusterSecret;
        private boolean clusterAllowRemote = DEFAULT_CLUSTER_ALLOW_REMOTE;
        private Duration fleetHeartbeat = DEFAULT_FLEET_HEARTBEAT;
        private Duration fleetStaleAfter = DEFAULT_FLEET_STALE_AFTER;
        private List<String> allowedHosts = List.of();
        private List<String> allowedOrigins = List.of();
        private boolean simulatorControl = DEFAULT_SIMULATOR_CONTROL;
        private int maxSimulatedRecorders = DEFAULT_MAX_SIMULATED_RECORDERS;
        private Duration headerTimeout = DEFAULT_HEADER_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private Duration streamStallTimeout = DEFAULT_STREAM_STALL_TIMEOUT;
        private boolean accessLog = DEFAULT_ACCESS_LOG;
        private boolean demo;
        private AgentOptions.Builder agent = AgentOptions.builder();

        private Builder() {
        }

        public Builder host(String host) {
            this.host = InvalidArgumentException.requireNonNull(host, "host");
            return this;
        }

        public Builder port(int port) {
            InvalidArgumentException.require(port >= 0 && port <= 65535, "port must be between 0 and 65535: " + port);
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

        public Builder sessionTtl(Duration ttl) {
            this.sessionTtl = positive(ttl, "sessionTtl");
            return this;
        }

        public Builder minSessionTtl(Duration ttl) {
            this.minSessionTtl = positive(ttl, "minSessionTtl");
            return this;
        }

        public Builder maxSessionTtl(Duration ttl) {
            this.maxSessionTtl = positive(ttl, "maxSessionTtl");
            return this;
        }

        public Builder maxWait(Duration maxWait) {
            this.maxWait = positive(maxWait, "maxWait");
            return this;
        }

        public Builder maxBodyBytes(int bytes) {
            this.maxBodyBytes = atLeastOne(bytes, "maxBody");
            return this;
        }

        public Builder maxSessions(int sessions) {
            this.maxSessions = atLeastOne(sessions, "maxSessions");
            return this;
        }

        public Builder maxPendingPerSession(int pending) {
            this.maxPendingPerSession = atLeastOne(pending, "maxPending");
            return this;
        }

        public Builder replayEvents(int events) {
            this.replayEvents = atLeastOne(events, "replayEvents");
            return this;
        }

        public Builder replayWindow(Duration window) {
            this.replayWindow = positive(window, "replayWindow");
            return this;
        }

        public Builder keepAliveInterval(Duration interval) {
            this.keepAliveInterval = positive(interval, "keepAliveInterval");
            return this;
        }

        /** The burn directory (a blank string: none, burning through the service is off). */
        public Builder burnDirectory(@Nullable String directory) {
            String blank = blankToNull(directory);
            this.burnDirectory = blank == null ? null : java.nio.file.Path.of(blank).toAbsolutePath().normalize();
            return this;
        }

        /** Host names or address literals, comma-separated; no ports, no wildcards. */
        public Builder allowedHosts(String hosts) {
            this.allowedHosts = list(hosts, "allowedHosts", host -> HOST_NAME.matcher(host).matches()
                    ? host.toLowerCase(Locale.ROOT) : null);
            return this;
        }

        /** Origins ({@code scheme://host[:port]}, http or https), comma-separated. */
        public Builder allowedOrigins(String origins) {
            this.allowedOrigins = list(origins, "allowedOrigins", OriginPolicy::normalize);
            return this;
        }

        public Builder simulatorControl(boolean on) {
            this.simulatorControl = on;
            return this;
        }

        public Builder maxSimulatedRecorders(int recorders) {
            this.maxSimulatedRecorders = atLeastOne(recorders, "maxSimulatedRecorders");
            return this;
        }

        public Builder headerTimeout(Duration timeout) {
            this.headerTimeout = positive(timeout, "headerTimeout");
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = positive(timeout, "idleTimeout");
            return this;
        }

        public Builder maxConnections(int connections) {
            this.maxConnections = atLeastOne(connections, "maxConnections");
            return this;
        }

        public Builder streamStallTimeout(Duration timeout) {
            this.streamStallTimeout = positive(timeout, "streamStallTimeout");
            return this;
        }

        public Builder accessLog(boolean on) {
            this.accessLog = on;
            return this;
        }

        /** The fleet to join; empty: none. */
        public Builder cluster(String name) {
            InvalidArgumentException.requireNonNull(name, "cluster");
            InvalidArgumentException.require(name.isEmpty() || FLEET_NAME.matcher(name).matches(), "the cluster name "
                    + "must be 1 to 63 letters, digits, '.', '_' or '-': " + name);
            this.cluster = name;
            return this;
        }

        /** This node's name in the fleet; empty: the host name. */
        public Builder node(String name) {
            InvalidArgumentException.requireNonNull(name, "node");
            InvalidArgumentException.require(name.isEmpty() || FLEET_NAME.matcher(name).matches(), "the node name "
                    + "must be 1 to 63 letters, digits, '.', '_' or '-': " + name);
            this.node = name;
            return this;
        }

        public Builder clusterHost(String host) {
            InvalidArgumentException.requireNonNull(host, "clusterHost");
            InvalidArgumentException.require(HOST_NAME.matcher(host).matches(), "clusterHost is not a host: " + host);
            this.clusterHost = host;
            return this;
        }

        public Builder clusterPort(int port) {
            InvalidArgumentException.require(port >= 1 && port <= 65535, "clusterPort must be 1 to 65535: " + port);
            this.clusterPort = port;
            return this;
        }

        /** The other members, {@code host:port} comma-separated. */
        public Builder clusterMembers(String members) {
            this.clusterMembers = list(members, "clusterMembers", Builder::member);
            return this;
        }

        /** The file holding the fleet's secret (read when the configuration is built). */
        public Builder clusterSecretFile(String file) {
            InvalidArgumentException.requireNonNull(file, "clusterSecretFile");
            this.clusterSecretFile = file.trim();
            return this;
        }

        /** The fleet's secret itself (instead of a file: for embedding and tests). */
        public Builder clusterSecret(byte[] secret) {
            InvalidArgumentException.requireNonNull(secret, "clusterSecret");
            this.clusterSecret = secret.clone();
            return this;
        }

        public Builder clusterAllowRemote(boolean allow) {
            this.clusterAllowRemote = allow;
            return this;
        }

        public Builder fleetHeartbeat(Duration every) {
            this.fleetHeartbeat = positive(every, "fleetHeartbeat");
            return this;
        }

        public Builder fleetStaleAfter(Duration after) {
            this.fleetStaleAfter = positive(after, "fleetStaleAfter");
            return this;
        }

        private static @Nullable String member(String entry) {
            int colon = entry.lastIndexOf(':');
            if (colon <= 0) {
                return null;
            }
            String host = entry.substring(0, colon);
            try {
                int port = Integer.parseInt(entry.substring(colon + 1));
                return HOST_NAME.matcher(host).matches() && port >= 1 && port <= 65535 ? host + ":" + port : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }

        /** The fleet configuration, checked; null without {@code cluster}. */
        private io.discagent.service.fleet.@Nullable FleetConfig fleet() {
            if (cluster.isEmpty()) {
                return null;
            }
            byte[] secret = clusterSecret;
            if (secret == null) {
                InvalidArgumentException.require(!clusterSecretFile.isEmpty(), "joining fleet " + cluster
                        + " requires --cluster-secret-file: members authenticate with a shared secret");
                try {
                    secret = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(clusterSecretFile));
                } catch (java.io.IOException | RuntimeException e) {
                    throw new InvalidArgumentException("the cluster secret file " + clusterSecretFile
                            + " cannot be read: " + e.getMessage());
                }
                secret = trimmed(secret); // the bytes themselves, never decoded: a binary key keeps every byte
            }
            InvalidArgumentException.require(fleetStaleAfter.compareTo(fleetHeartbeat.multipliedBy(2)) >= 0,
                    "fleetStaleAfter (" + fleetStaleAfter + ") must be at least twice fleetHeartbeat (" + fleetHeartbeat
                    + "): a node would be shown unreachable between its heartbeats");
            InvalidArgumentException.require(secret.length >= MIN_CLUSTER_SECRET_BYTES, "the cluster secret must "
                    + "have at least " + MIN_CLUSTER_SECRET_BYTES + " bytes (for example `openssl rand -base64 48`)");
            if (!clusterAllowRemote) {
                InvalidArgumentException.require(isLoopback(clusterHost), "the cluster address " + clusterHost
                        + " is not loopback: allow it with --cluster-allow-remote");
                for (String member : clusterMembers) {
                    InvalidArgumentException.require(isLoopback(member.substring(0, member.lastIndexOf(':'))),
                            "the cluster member " + member + " is not loopback: allow it with --cluster-allow-remote");
                }
            }
            String name = node.isEmpty() ? hostName() : node;
            String address;
            try {
                address = InetAddress.getByName(clusterHost).getHostAddress(); // Hazelcast binds to an address
            } catch (UnknownHostException e) {
                throw new InvalidArgumentException("the cluster address " + clusterHost + " does not resolve");
            }
            return new io.discagent.service.fleet.FleetConfig(cluster, name, address, clusterPort, clusterMembers,
                    secret, fleetHeartbeat, fleetStaleAfter);
        }

        /**
         * The file's bytes without leading and trailing ASCII white space (spaces, tabs, line ends: what an editor or
         * {@code openssl rand -base64} leaves around a text secret), byte for byte, never decoded as text.
         */
        private static byte[] trimmed(byte[] bytes) {
            int start = 0;
            int end = bytes.length;
            while (start < end && isBlank(bytes[start])) {
                start++;
            }
            while (end > start && isBlank(bytes[end - 1])) {
                end--;
            }
            return java.util.Arrays.copyOfRange(bytes, start, end);
        }

        private static boolean isBlank(byte b) {
            return b == ' ' || b == '\t' || b == '\n' || b == '\r';
        }

        private static String hostName() {
            try {
                String name = InetAddress.getLocalHost().getHostName();
                int dot = name.indexOf('.');
                String shortName = dot > 0 ? name.substring(0, dot) : name;
                return FLEET_NAME.matcher(shortName).matches() ? shortName : "node";
            } catch (UnknownHostException e) {
                return "node";
            }
        }

        public Builder demo(boolean demo) {
            this.demo = demo;
            return this;
        }

        /** The agent's options (their time scheduler and Vert.x are the service's, whatever they say). */
        public Builder agent(AgentOptions options) {
            this.agent = InvalidArgumentException.requireNonNull(options, "agent").toBuilder();
            return this;
        }

        /** Changes the agent's options in place: {@code config.agent(a -> a.backend("simulated"))}. */
        public Builder agent(java.util.function.Consumer<AgentOptions.Builder> change) {
            change.accept(agent);
            return this;
        }

        /**
         * The configuration.
         *
         * @throws InvalidArgumentException when the bind address is not loopback and no strong access token is set
         *     (or a weak admin token is), or the lease bounds are crossed
         */
        public ServiceConfig build() {
            InvalidArgumentException.require(maxSessionTtl.compareTo(minSessionTtl) >= 0,
                    "maxSessionTtl must not be below minSessionTtl");
            ServiceConfig config = new ServiceConfig(this);
            if (!config.bindsLoopback()) {
                InvalidArgumentException.require(accessToken != null, "binding to " + host + " (not a loopback "
                        + "address) requires an access token (--access-token or DISCAGENT_ACCESS_TOKEN)");
                requireStrong(accessToken, "access token");
                if (adminToken != null) {
                    requireStrong(adminToken, "admin token");
                }
            }
            return config;
        }

        /** The non-blank entries of a comma-separated list, each checked and normalized by {@code check}. */
        private static List<String> list(String text, String name,
                java.util.function.Function<String, @Nullable String> check) {
            InvalidArgumentException.requireNonNull(text, name);
            List<String> values = new java.util.ArrayList<>();
            for (String entry : text.split(",")) {
                if (entry.isBlank()) {
                    continue;
                }
                String value = check.apply(entry.trim());
                InvalidArgumentException.require(value != null, name + " has an invalid entry: " + entry.trim());
                values.add(value);
            }
            return List.copyOf(values);
        }

        /** A token other hosts may try to guess: at least 32 characters, and not a few characters repeated. */
        private static void requireStrong(String token, String name) {
            InvalidArgumentException.require(token.length() >= MIN_REMOTE_TOKEN_LENGTH
                    && token.chars().distinct().count() >= 8, "on a non-loopback bind the " + name + " must have at "
                    + "least " + MIN_REMOTE_TOKEN_LENGTH + " characters of randomness (for example `openssl rand "
                    + "-base64 32`)");
        }

        private static @Nullable String blankToNull(@Nullable String token) {
            return token == null || token.isBlank() ? null : token;
        }

        private static Duration positive(Duration d, String name) {
            InvalidArgumentException.requireNonNull(d, name);
            InvalidArgumentException.require(!d.isNegative() && !d.isZero(), name + " must be positive: " + d);
            return d;
        }

        private static int atLeastOne(int value, String name) {
            InvalidArgumentException.require(value >= 1, name + " must be at least 1: " + value);
            return value;
        }
    }
}
