package io.discagent.service.http;

/** Who may call an endpoint. */
public enum Access {
    /** Anyone who can reach the port (the status page, {@code /health}). */
    PUBLIC,
    /** Holders of the access token, when one is configured. */
    API,
    /** Like {@link #API}, plus the admin token when the service is bound to a non-loopback address. */
    SIMULATOR
}
