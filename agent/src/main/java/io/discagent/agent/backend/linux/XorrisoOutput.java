package io.discagent.agent.backend.linux;

import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.error.HResult;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.NativeDetail;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads what {@code xorriso -as cdrecord -v} prints while it burns (the lines of its output, as recorded from the real
 * tool in the project's VM tests) into progress, and its failures into typed errors. Pure: one instance per burn, fed
 * one line at a time on the thread that reads the tool's output.
 *
 * <p>Progress lines look like {@code xorriso : UPDATE :    5 of    6 MB written (fifo 14%) [buf   0%]   0.5x.}: libburn
 * counts mebibytes written and the speed as a multiple of the medium's 1x (176.4 kB/s for CD, 1385 kB/s for DVD,
 * 4495.5 kB/s for BD). Failures are told by {@code FAILURE}, {@code FATAL} and {@code SORRY} lines; a SCSI error
 * carries its sense key, ASC and ASCQ as {@code [3 0C 00]}.
 */
final class XorrisoOutput {

    /** One progress report. */
    record Report(BurnPhase phase, long bytesDone, long bytesPerSecond, int bufferPercent) {
    }

    private static final Pattern UPDATE = Pattern.compile("UPDATE :\\s+(\\d+) of\\s+(\\d+) MB written"
            + "(?: \\(fifo\\s*(\\d+)%\\))?(?: \\[buf\\s*(\\d+)%\\])?(?:\\s+([0-9.]+)x\\.)?");
    private static final Pattern SENSE = Pattern.compile("\\[([0-9A-Fa-f]) ([0-9A-Fa-f]{2}) ([0-9A-Fa-f]{2})\\]");
    private static final long MIB = 1 << 20;
    private static final int KEPT_LINES = 40;

    private final long total;
    private final long speedOf1x;
    private BurnPhase phase = BurnPhase.PREPARING;
    private long bytes;
    private final Deque<String> recent = new ArrayDeque<>();
    private final List<String> problems = new ArrayList<>();
    private @Nullable String scsiError;
    private @Nullable String cdb;
    private int senseKey = -1;
    private int asc;
    private int ascq;
    private boolean completed;
    private boolean signalled;

    /**
     * @param total the image's size in bytes
     * @param profile the medium written (its 1x speed turns the tool's {@code 4.0x} into bytes per second)
     */
    XorrisoOutput(long total, MediaProfile profile) {
        this.total = total;
        this.speedOf1x = speedOf1x(profile);
    }

    /** The bytes per second of 1x on a kind of medium, as libburn counts it. */
    static long speedOf1x(MediaProfile profile) {
        return switch (profile) {
            case CD_ROM, CD_R, CD_RW -> 176_400;
            case BD_ROM, BD_R, BD_RE -> 4_495_500;
            default -> 1_385_000;
        };
    }

    /** Reads one line; returns the progress it tells of, if any. */
    @Nullable Report line(String raw) {
        String line = raw.strip();
        if (line.isEmpty()) {
            return null;
        }
        recent.addLast(line);
        if (recent.size() > KEPT_LINES) {
            recent.removeFirst();
        }
        Matcher update = UPDATE.matcher(line);
        if (update.find()) {
            long mib = Long.parseLong(update.group(1));
            bytes = Math.min(total, Math.max(bytes, mib * MIB));
            if (phase == BurnPhase.PREPARING || phase == BurnPhase.FORMATTING) {
                phase = BurnPhase.WRITING;
            }
            int buffer = update.group(4) != null ? Integer.parseInt(update.group(4)) : -1;
            long speed = update.group(5) != null ? (long) (Double.parseDouble(update.group(5)) * speedOf1x) : 0;
            return new Report(phase, bytes, speed, Math.min(100, buffer));
        }
        String lower = line.toLowerCase(Locale.ROOT);
        if (line.startsWith("Beginning to write")) {
            phase = BurnPhase.WRITING;
            return new Report(phase, bytes, 0, -1);
        }
        if (lower.contains("formatting") && !lower.contains("failure")) {
            phase = BurnPhase.FORMATTING;
            return new Report(phase, 0, 0, -1);
        }
        if (lower.contains("closing track") || lower.contains("closing session") || lower.contains("fixating")
                || (lower.contains("thank you for being patient") && phase == BurnPhase.WRITING && bytes >= total)) {
            phase = BurnPhase.CLOSING;
            return new Report(phase, total, 0, -1);
        }
        if (line.startsWith("Writing to") && line.contains("completed successfully")) {
            completed = true;
            phase = BurnPhase.CLOSING;
            bytes = total;
            return new Report(phase, total, 0, -1);
        }
        if (line.startsWith("UNIX-SIGNAL")) {
            signalled = true;
        }
        if (line.contains("SCSI error") || line.contains("yielded host problem")) {
            scsiError = line;
            Matcher sense = SENSE.matcher(line);
            if (sense.find()) {
                senseKey = Integer.parseInt(sense.group(1), 16);
                asc = Integer.parseInt(sense.group(2), 16);
                ascq = Integer.parseInt(sense.group(3), 16);
            }
        }
        if (line.contains("CDB=") || line.startsWith("libburn : FAILURE : Command:")) {
            cdb = line;
        }
        if (line.contains(": FAILURE :") || line.contains(": FATAL :") || line.contains(": SORRY :")) {
            problems.add(line);
        }
        // before the data and after it (acquiring the drive, formatting, closing) a line is the tool's sign of life
        return phase == BurnPhase.WRITING ? null : new Report(phase, bytes, 0, -1);
    }

    /** Whether the tool said the image was written completely. */
    boolean completed() {
        return completed;
    }

    /** The phase the output has reached. */
    BurnPhase phase() {
        return phase;
    }

    /** The last lines of the output, for messages. */
    List<String> tail() {
        return List.copyOf(recent);
    }

    /**
     * The typed error for a run that ended with {@code exitCode} (not 0):
     * <ul>
     * <li>a SCSI error with sense key 3 (MEDIUM ERROR) or 4 (HARDWARE ERROR) &rarr; {@code MediumErrorException}
     * ({@code E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE}) whose native detail carries the sense as {@code 03 0c 00};</li>
     * <li>the drive gone ({@code devicePresent} false, or "Lost connection to drive") &rarr;
     * {@code RecorderRemovedException} ({@code 0x80070037});</li>
     * <li>"No media detected" &rarr; {@code E_IMAPI_RECORDER_MEDIA_NO_MEDIA}; an image larger than the free space
     * &rarr; {@code E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA}; a write mode or simulation the drive and
     * medium do not offer &rarr; {@code E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED}; a disc it will not write &rarr;
     * {@code E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED};</li>
     * <li>stopped by a signal &rarr; {@code E_IMAPI_REQUEST_CANCELLED};</li>
     * <li>anything else &rarr; {@code E_FAIL} with the tool's last complaints.</li>
     * </ul>
     */
    RecorderException failure(int exitCode, RecorderId recorder, boolean devicePresent) {
        String complaints = problems.isEmpty() ? String.join(" | ", lastLines(3)) : String.join(" | ",
                problems.subList(Math.max(0, problems.size() - 3), problems.size()));
        String all = String.join("\n", recent).toLowerCase(Locale.ROOT);
        String source = "xorriso -as cdrecord (exit " + exitCode + ")";
        if (senseKey == 3 || senseKey == 4) {
            String sense = String.format("%02x %02x %02x", senseKey, asc, ascq);
            NativeDetail detail = new NativeDetail(source + (cdb == null ? "" : ": " + cdb.replaceFirst(
                    "^libburn : \\w+ : ", "")), senseKey, senseKey == 3 ? "MEDIUM ERROR" : "HARDWARE ERROR",
                    scsiError == null ? complaints : scsiError.replaceFirst("^libburn : \\w+ : ", ""), sense);
            return RecorderExceptions.create(HResult.E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE, "the drive failed a "
                    + "write: " + (senseKey == 3 ? "medium error" : "hardware error") + " (sense key " + senseKey
                    + ", ASC " + String.format("%02X", asc) + ", ASCQ " + String.format("%02X", ascq) + ")",
                    recorder, null, detail, null);
        }
        NativeDetail detail = NativeDetail.of(source, exitCode, "exit " + exitCode, complaints);
        if (!devicePresent || all.contains("lost connection to drive") || all.contains("no such device")) {
            return RecorderExceptions.create(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST, "the drive went away "
                    + "while xorriso wrote to it", recorder, null, detail, null);
        }
        if (signalled) {
            return RecorderExceptions.create(HResult.E_IMAPI_REQUEST_CANCELLED, "xorriso was stopped", recorder,
                    null, detail, null);
        }
        if (all.contains("no media detected")) {
            return new MediaNotWritableException(HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA, "xorriso found no disc",
                    recorder, null, detail, null);
        }
        if (all.contains("exceeds free space")) {
            return RecorderExceptions.create(HResult.E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA, "the image "
                    + "does not fit the disc", recorder, null, detail, null);
        }
        if (all.contains("no suitable write mode") || all.contains("not supported by drive and media")) {
            return RecorderExceptions.create(HResult.E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED, "the drive and the "
                    + "disc offer no way to write this (" + complaints + ")", recorder, null, detail, null);
        }
        if (all.contains("disc status unsuitable") || all.contains("is not writable")
                || all.contains("unsuitable media")) {
            return RecorderExceptions.create(HResult.E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED, "xorriso will not "
                    + "write this disc", recorder, null, detail, null);
        }
        return RecorderExceptions.create(HResult.E_FAIL, "xorriso failed: " + complaints, recorder, null, detail,
                null);
    }

    private List<String> lastLines(int n) {
        List<String> all = new ArrayList<>(recent);
        return all.subList(Math.max(0, all.size() - n), all.size());
    }
}
