package io.discagent.service.cli;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** Who holds the recorder, and how long to wait in line for it: shared by the commands that hold one. */
final class HoldOptions {

    @Option(names = "--client-name", converter = ClientNameOption.class,
            description = "The name others see as the owner (IMAPI2 rule: 1-63 of A-Z a-z 0-9 space . , : ; - _).")
    @Nullable String clientName;

    @Option(names = "--wait", defaultValue = "0s",
            description = "How long to wait if the recorder is held (FIFO behind other clients); default: fail at "
                    + "once.")
    Duration waitFor;

    /** The name given, or the command's own ({@code discagent burn}, ...). */
    String clientName(String commandDefault) {
        return clientName != null ? clientName : commandDefault;
    }
}
