package io.discagent.examples;

import io.discagent.api.LockState;
import io.discagent.api.event.AcquireTimedOutEvent;
import io.discagent.api.event.BurnEvent;
import io.discagent.api.event.CommandTimedOutEvent;
import io.discagent.api.event.EjectRequestedEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import io.discagent.api.event.TrayUnlockedEvent;
import java.time.Duration;
import java.time.Instant;

/** Prints what the examples do, one line per event, with the time since the example started. */
public final class Console {

    private static final Instant START = Instant.now();

    private Console() {
    }

    /** Prints a line. */
    public static void say(String format, Object... args) {
        long ms = Duration.between(START, Instant.now()).toMillis();
        System.out.printf("%6d ms  %s%n", ms, String.format(format, args));
    }

    /** Prints an agent event. */
    public static void event(RecorderEvent event) {
        say("    event #%d %s", event.sequence(), describe(event));
    }

    static String describe(RecorderEvent event) {
        if (event instanceof LockTransition t) {
            return t.recorder() + " " + state(t.from()) + " -> " + state(t.to()) + " (" + t.cause() + ")";
        }
        if (event instanceof AcquireTimedOutEvent e) {
            return e.recorder() + " wait of '" + e.clientName() + "' timed out after " + e.waited().toMillis()
                    + " ms (held by '" + e.owner() + "')";
        }
        if (event instanceof CommandTimedOutEvent e) {
            return e.recorder() + " native " + e.command() + " did not return within " + e.timeout().toMillis()
                    + " ms";
        }
        if (event instanceof RecorderArrivedEvent e) {
            return e.recorder() + " arrived (" + e.info().vendor() + " " + e.info().product() + ")";
        }
        if (event instanceof RecorderRemovedEvent e) {
            return e.recorder() + " removed (was held by '" + e.lastOwner() + "', " + e.failedWaiters()
                    + " waiters failed)";
        }
        if (event instanceof TrayUnlockedEvent e) {
            return e.recorder() + " tray " + (e.trayOpened() ? "opened" : "unlocked") + " by "
                    + (e.culprit() == null ? "another process" : e.culprit()) + (e.relocked() ? ", locked again" : "");
        }
        if (event instanceof EjectRequestedEvent e) {
            return e.recorder() + " eject button pressed" + (e.holder() == null ? "" : " (held by '" + e.holder()
                    + "')");
        }
        if (event instanceof BurnEvent e) {
            return e.recorder() + " burn " + e.progress().burnId() + " of '" + e.client() + "': " + e.progress().phase()
                    + String.format(" %.0f%%", e.progress().percent()) + (e.ended() ? " " + e.outcome()
                    + (e.error() == null ? "" : " " + e.error().hex()) : "");
        }
        MediaChangedEvent e = (MediaChangedEvent) event;
        return e.recorder() + " media " + e.state();
    }

    static String state(LockState s) {
        return switch (s.status()) {
            case HELD -> "held by '" + s.owner() + "' x" + s.count();
            case EXTERNAL -> "held outside the agent by '" + s.owner() + "'";
            case FREE -> "free";
        };
    }

    /** A progress bar: {@code [#####.....]  50%}. */
    public static String bar(int percent) {
        int filled = percent / 5;
        return "[" + "#".repeat(filled) + ".".repeat(20 - filled) + "] " + String.format("%3d%%", percent);
    }
}
