package io.discagent.service.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The signals that ask {@code discagent acquire} and {@code discagent exec} to stop (SIGINT, SIGTERM, SIGHUP), taken
 * from the JVM so that the command ends in its own way instead of the JVM's shutdown. While an acquire waits they end
 * the wait (the command exits with 128 + the signal); then {@code acquire} releases and exits 0 ({@link #whenCaught});
 * while {@code exec}'s command runs they are passed on to it, and {@code exec} goes on waiting for it to end. A Ctrl-C
 * or Ctrl-\ typed in the terminal reaches the command by itself when {@code exec} runs in the terminal's foreground
 * (the command shares its process group), so those are not sent twice. The JVM's own handlers come back when the
 * command is done ({@link #restore()}).
 *
 * <p>It uses {@code sun.misc.Signal} (module {@code jdk.unsupported}): the only way for a JVM to take SIGTERM, SIGINT
 * and SIGHUP itself instead of shutting down.
 */
final class StopSignals {

    private static final String[] NAMES = {"INT", "TERM", "HUP"};

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    private volatile @Nullable RecorderHold waiting;
    private volatile Runnable onCaught = () -> { };
    private volatile @Nullable ExecChild running;
    private volatile int caught;

    private StopSignals() {
    }

    static StopSignals install() {
        StopSignals signals = new StopSignals();
        for (String name : NAMES) {
            Signal signal = new Signal(name);
            try {
                signals.previous.put(signal, Signal.handle(signal, s -> signals.received(s.getNumber())));
            } catch (IllegalArgumentException e) {
                // the JVM keeps this one (-Xrs, or an embedding that took it)
            }
        }
        return signals;
    }

    /** From now on, a signal ends the acquire of {@code hold}. */
    void whileWaiting(RecorderHold hold) {
        waiting = hold;
    }

    /** Runs {@code action} on the signal's thread whenever a signal is caught (not one passed to a command). */
    void whenCaught(Runnable action) {
        onCaught = action;
    }

    /** From now on, signals go to {@code child} ({@code null}: it has ended, or there is none). */
    void whileRunning(@Nullable ExecChild child) {
        waiting = null;
        running = child;
    }

    /** The signal that ended the wait, or 0. */
    int caught() {
        return caught;
    }

    private void received(int number) {
        ExecChild child = running;
        if (child != null) {
            boolean fromTerminal = number == ExecChild.SIGINT && ExecChild.inTerminalForeground();
            if (!fromTerminal) {
                child.signal(number);
            }
            return;
        }
        caught = number;
        RecorderHold hold = waiting;
        if (hold != null) {
            hold.abort();
        }
        onCaught.run();
    }

    void restore() {
        previous.forEach((signal, handler) -> {
            try {
                Signal.handle(signal, handler);
            } catch (IllegalArgumentException ignored) {
                // not ours to restore
            }
        });
    }
}
