package io.discagent.api.error;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A Windows HRESULT: the error vocabulary of discagent on every platform.
 *
 * <p>IMAPI2's {@code IDiscRecorder2} reports failures as HRESULTs, and discagent keeps that model everywhere, so
 * a client written against the Windows semantics reads the same codes on Linux and on the simulated backend.
 * Every known code has a symbolic name and a message; {@link #of(int)} returns them, and keeps unknown codes
 * with a generated name.
 *
 * <p>Note on {@code HRESULT_FROM_WIN32}: IMAPI2's documentation prints "Value: 6" and "Value: 55" for
 * {@code HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)} and {@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)}. Those are
 * the Win32 codes inside the HRESULTs; the HRESULTs themselves are {@code 0x80070006} and {@code 0x80070037}
 * ({@link #fromWin32(int)}).
 *
 * @param code the 32-bit HRESULT, as a signed Java int
 * @param name the symbolic name, such as {@code E_IMAPI_RECORDER_LOCKED}
 * @param message what the code means
 */
public record HResult(int code, String name, String message) {

    private static final Map<Integer, HResult> KNOWN = new LinkedHashMap<>();

    /** The Win32 facility (7): HRESULTs made by {@code HRESULT_FROM_WIN32}. */
    public static final int FACILITY_WIN32 = 7;

    /** The IMAPI2 facility ({@code 0xAA}). */
    public static final int FACILITY_IMAPI2 = 0xAA;

    // --- Generic COM codes -------------------------------------------------------------------------------------

    /** {@code 0x00000000}: success. */
    public static final HResult S_OK = known(0x00000000, "S_OK", "The operation succeeded.");
    /** {@code 0x80004005}: an unspecified failure. */
    public static final HResult E_FAIL = known(0x80004005, "E_FAIL", "Unspecified failure.");
    /** {@code 0x80004003}: an invalid pointer was used. */
    public static final HResult E_POINTER = known(0x80004003, "E_POINTER", "An invalid pointer was used.");
    /** {@code 0x8007000E}: the system ran out of memory. */
    public static final HResult E_OUTOFMEMORY = known(0x8007000E, "E_OUTOFMEMORY",
            "Ran out of memory.");
    /** {@code 0x80070057}: an argument is not valid. */
    public static final HResult E_INVALIDARG = known(0x80070057, "E_INVALIDARG",
            "One or more arguments are not valid.");
    /** {@code 0x80070005}: access is denied: another application uses the device, or the caller lacks permission. */
    public static final HResult E_ACCESSDENIED = known(0x80070005, "E_ACCESSDENIED",
            "Access is denied: the device is in use by another application, or the caller lacks permission.");

    // --- HRESULT_FROM_WIN32(...) codes -------------------------------------------------------------------------

    /** {@code 0x80070001}: the exclusive lock was released while it was not held. */
    public static final HResult HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION = known(0x80070001,
            "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)",
            "Incorrect function: the exclusive lock was released while it was not held.");
    /** {@code 0x80070002}: the file was not found. */
    public static final HResult HRESULT_FROM_WIN32_ERROR_FILE_NOT_FOUND = known(0x80070002,
            "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)", "The system cannot find the file specified.");
    /** {@code 0x80070006}: the handle is closed, or is not the one that holds the exclusive lock. */
    public static final HResult HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE = known(0x80070006,
            "HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)",
            "The handle is invalid: it is closed, or it is not the one that holds the exclusive lock.");
    /** {@code 0x80070016}: a file system is mounted on the recorder (acquire with force to dismount it). */
    public static final HResult HRESULT_FROM_WIN32_ERROR_BAD_COMMAND = known(0x80070016,
            "HRESULT_FROM_WIN32(ERROR_BAD_COMMAND)",
            "A file system is mounted on the recorder; acquire with force to dismount it.");
    /** {@code 0x80070037}: the recorder does not exist or has been removed. */
    public static final HResult HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST = known(0x80070037,
            "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)",
            "The specified recorder does not exist or has been removed.");
    /** {@code 0x8007006F}: an event subscriber did not keep up and its buffer overflowed. */
    public static final HResult HRESULT_FROM_WIN32_ERROR_BUFFER_OVERFLOW = known(0x8007006F,
            "HRESULT_FROM_WIN32(ERROR_BUFFER_OVERFLOW)",
            "An event subscriber did not keep up and its buffer overflowed.");
    /** {@code 0x800705B4}: the wait for exclusive access timed out. */
    public static final HResult HRESULT_FROM_WIN32_ERROR_TIMEOUT = known(0x800705B4,
            "HRESULT_FROM_WIN32(ERROR_TIMEOUT)",
            "The wait for exclusive access timed out.");
    /** {@code 0x80070718}: too many acquire requests are already pending. */
    public static final HResult HRESULT_FROM_WIN32_ERROR_NOT_ENOUGH_QUOTA = known(0x80070718,
            "HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_QUOTA)",
            "Too many acquire requests are already pending.");

    // --- COM / RPC codes ---------------------------------------------------------------------------------------

    /** {@code 0x80020009}: an exception occurred in {@code IDispatch::Invoke}. */
    public static final HResult DISP_E_EXCEPTION = known(0x80020009, "DISP_E_EXCEPTION",
            "Exception occurred in IDispatch::Invoke.");
    /** {@code 0x8001010E}: a COM interface was called from a thread other than the one it was marshalled for. */
    public static final HResult RPC_E_WRONG_THREAD = known(0x8001010E, "RPC_E_WRONG_THREAD",
            "The application called an interface that was marshalled for a different thread.");
    /** {@code 0x80010106}: the COM threading mode of a thread cannot be changed once set. */
    public static final HResult RPC_E_CHANGED_MODE = known(0x80010106, "RPC_E_CHANGED_MODE",
            "Cannot change thread mode after it is set.");
    /** {@code 0x80010108}: the session or the agent is closed. */
    public static final HResult RPC_E_DISCONNECTED = known(0x80010108, "RPC_E_DISCONNECTED",
            "The object invoked has disconnected from its clients: the session or agent is closed.");
    /** {@code 0x800401F0}: COM was not initialized on the calling thread. */
    public static final HResult CO_E_NOTINITIALIZED = known(0x800401F0, "CO_E_NOTINITIALIZED",
            "CoInitialize has not been called.");
    /** {@code 0x80040154}: a COM class is not registered: IMAPI2 is not installed. */
    public static final HResult REGDB_E_CLASSNOTREG = known(0x80040154, "REGDB_E_CLASSNOTREG",
            "Class not registered: IMAPI2 is not installed.");

    // --- IMAPI2 recorder family (imapi2error.h) ----------------------------------------------------------------

    /** {@code 0xC0AA0002}: the request was cancelled. */
    public static final HResult E_IMAPI_REQUEST_CANCELLED = known(0xC0AA0002, "E_IMAPI_REQUEST_CANCELLED",
            "The request was canceled.");
    /** {@code 0xC0AA0003}: the request needs a disc recorder to be selected. */
    public static final HResult E_IMAPI_RECORDER_REQUIRED = known(0xC0AA0003, "E_IMAPI_RECORDER_REQUIRED",
            "The request requires a current disc recorder to be selected.");
    /** {@code 0x00AA0200}: success, but the device returned sense data. */
    public static final HResult S_IMAPI_COMMAND_HAS_SENSE_DATA = known(0x00AA0200, "S_IMAPI_COMMAND_HAS_SENSE_DATA",
            "The device accepted the command but returned sense data.");
    /** {@code 0xC0AA0201}: the requested mode page is not present. */
    public static final HResult E_IMAPI_RECORDER_NO_SUCH_MODE_PAGE = known(0xC0AA0201,
            "E_IMAPI_RECORDER_NO_SUCH_MODE_PAGE", "The requested mode page (and type) is not present.");
    /** {@code 0xC0AA0202}: there is no medium in the drive. */
    public static final HResult E_IMAPI_RECORDER_MEDIA_NO_MEDIA = known(0xC0AA0202,
            "E_IMAPI_RECORDER_MEDIA_NO_MEDIA", "There is no media in the device.");
    /** {@code 0xC0AA0203}: the medium is incompatible or of an unknown physical format. */
    public static final HResult E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE = known(0xC0AA0203,
            "E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE", "The media is not compatible or of unknown physical format.");
    /** {@code 0xC0AA0204}: the medium is inserted upside down. */
    public static final HResult E_IMAPI_RECORDER_MEDIA_UPSIDE_DOWN = known(0xC0AA0204,
            "E_IMAPI_RECORDER_MEDIA_UPSIDE_DOWN", "The media is inserted upside down.");
    /** {@code 0xC0AA0205}: the drive is becoming ready; try again later. */
    public static final HResult E_IMAPI_RECORDER_MEDIA_BECOMING_READY = known(0xC0AA0205,
            "E_IMAPI_RECORDER_MEDIA_BECOMING_READY", "The drive is in the process of becoming ready; try again later.");
    /** {@code 0xC0AA0206}: the medium is being formatted. */
    public static final HResult E_IMAPI_RECORDER_MEDIA_FORMAT_IN_PROGRESS = known(0xC0AA0206,
            "E_IMAPI_RECORDER_MEDIA_FORMAT_IN_PROGRESS", "The media is currently being formatted.");
    /** {@code 0xC0AA0207}: the drive is busy with a long-running operation, such as finishing a write. */
    public static final HResult E_IMAPI_RECORDER_MEDIA_BUSY = known(0xC0AA0207,
            "E_IMAPI_RECORDER_MEDIA_BUSY", "The drive is performing a long-running operation, such as finishing a write.");
    /** {@code 0xC0AA0208}: the drive does not support this MODE SELECT parameter combination. */
    public static final HResult E_IMAPI_RECORDER_INVALID_MODE_PARAMETERS = known(0xC0AA0208,
            "E_IMAPI_RECORDER_INVALID_MODE_PARAMETERS", "The drive does not support this MODE SELECT parameter combination.");
    /** {@code 0xC0AA0209}: the medium is write protected. */
    public static final HResult E_IMAPI_RECORDER_MEDIA_WRITE_PROTECTED = known(0xC0AA0209,
            "E_IMAPI_RECORDER_MEDIA_WRITE_PROTECTED", "The media is write protected.");
    /** {@code 0xC0AA020A}: the device does not support the feature page. */
    public static final HResult E_IMAPI_RECORDER_NO_SUCH_FEATURE = known(0xC0AA020A,
            "E_IMAPI_RECORDER_NO_SUCH_FEATURE", "The feature page is not supported by the device.");
    /** {@code 0xC0AA020B}: the feature page is supported but not current. */
    public static final HResult E_IMAPI_RECORDER_FEATURE_IS_NOT_CURRENT = known(0xC0AA020B,
            "E_IMAPI_RECORDER_FEATURE_IS_NOT_CURRENT", "The feature page is supported but not current.");
    /** {@code 0xC0AA020C}: the drive does not support GET CONFIGURATION. */
    public static final HResult E_IMAPI_RECORDER_GET_CONFIGURATION_NOT_SUPPORTED = known(0xC0AA020C,
            "E_IMAPI_RECORDER_GET_CONFIGURATION_NOT_SUPPORTED", "The drive does not support GET CONFIGURATION.");
    /** {@code 0xC0AA020D}: the device did not complete a command within its timeout. */
    public static final HResult E_IMAPI_RECORDER_COMMAND_TIMEOUT = known(0xC0AA020D,
            "E_IMAPI_RECORDER_COMMAND_TIMEOUT",
            "The device did not complete the command within the timeout period.");
    /** {@code 0xC0AA020E}: the DVD structure is not present. */
    public static final HResult E_IMAPI_RECORDER_DVD_STRUCTURE_NOT_PRESENT = known(0xC0AA020E,
            "E_IMAPI_RECORDER_DVD_STRUCTURE_NOT_PRESENT", "The DVD structure is not present.");
    /** {@code 0xC0AA020F}: the medium's speed is incompatible with the device. */
    public static final HResult E_IMAPI_RECORDER_MEDIA_SPEED_MISMATCH = known(0xC0AA020F,
            "E_IMAPI_RECORDER_MEDIA_SPEED_MISMATCH", "The media's speed is incompatible with the device.");
    /** {@code 0xC0AA0210}: the recorder is exclusively locked by another client. */
    public static final HResult E_IMAPI_RECORDER_LOCKED = known(0xC0AA0210, "E_IMAPI_RECORDER_LOCKED",
            "The device has been exclusively locked by another client.");
    /**
     * {@code 0xC0AA0211}: the client name is not valid (it must be 1 to 63 characters of letters, digits, space and
     * {@code . , : ; - _}).
     */
    public static final HResult E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID = known(0xC0AA0211,
            "E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID",
            "The client name is not valid: 1 to 63 characters of A-Z a-z 0-9 space . , : ; - _");
    /** {@code 0xC0AA0212}: the medium is not formatted. */
    public static final HResult E_IMAPI_RECORDER_MEDIA_NOT_FORMATTED = known(0xC0AA0212,
            "E_IMAPI_RECORDER_MEDIA_NOT_FORMATTED", "The media is not formatted.");
    /** {@code 0xC0AA02FF}: the device reported unexpected or invalid data for a command. */
    public static final HResult E_IMAPI_RECORDER_INVALID_RESPONSE_FROM_DEVICE = known(0xC0AA02FF,
            "E_IMAPI_RECORDER_INVALID_RESPONSE_FROM_DEVICE", "The device reported unexpected or invalid data for a command.");
    /** {@code 0xC0AA0300}: a write failed because the drive did not receive data quickly enough. */
    public static final HResult E_IMAPI_LOSS_OF_STREAMING = known(0xC0AA0300, "E_IMAPI_LOSS_OF_STREAMING",
            "The write failed because the drive did not receive data quickly enough.");
    /** {@code 0xC0AA0301}: a write failed because the drive returned unrecoverable error information. */
    public static final HResult E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE = known(0xC0AA0301,
            "E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE", "The write failed because the drive returned error information that could not be recovered from.");

    // --- IMAPI2 data writer family (imapi2error.h): burning with IDiscFormat2Data -------------------------------

    /** {@code 0xC0AA0007}: the burned disc did not pass verification and may hold corrupt data or be unusable. */
    public static final HResult E_IMAPI_BURN_VERIFICATION_FAILED = known(0xC0AA0007,
            "E_IMAPI_BURN_VERIFICATION_FAILED",
            "The disc did not pass burn verification and may contain corrupt data or be unusable.");
    /** {@code 0xC0AA0400}: a write is already in progress. */
    public static final HResult E_IMAPI_DF2DATA_WRITE_IN_PROGRESS = known(0xC0AA0400,
            "E_IMAPI_DF2DATA_WRITE_IN_PROGRESS", "There is currently a write operation in progress.");
    /** {@code 0xC0AA0401}: no write is in progress. */
    public static final HResult E_IMAPI_DF2DATA_WRITE_NOT_IN_PROGRESS = known(0xC0AA0401,
            "E_IMAPI_DF2DATA_WRITE_NOT_IN_PROGRESS", "There is no write operation currently in progress.");
    /** {@code 0xC0AA0402}: the operation is only valid with supported media. */
    public static final HResult E_IMAPI_DF2DATA_INVALID_MEDIA_STATE = known(0xC0AA0402,
            "E_IMAPI_DF2DATA_INVALID_MEDIA_STATE", "The requested operation is only valid with supported media.");
    /** {@code 0xC0AA0403}: the image to write is not supported. */
    public static final HResult E_IMAPI_DF2DATA_STREAM_NOT_SUPPORTED = known(0xC0AA0403,
            "E_IMAPI_DF2DATA_STREAM_NOT_SUPPORTED", "The provided stream to write is not supported.");
    /** {@code 0xC0AA0404}: the image to write is larger than the free space of the medium in the drive. */
    public static final HResult E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA = known(0xC0AA0404,
            "E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA",
            "The provided stream to write is too large for the currently inserted media.");
    /** {@code 0xC0AA0405}: the medium is not blank (an image is written to a blank or an overwritable medium only). */
    public static final HResult E_IMAPI_DF2DATA_MEDIA_NOT_BLANK = known(0xC0AA0405,
            "E_IMAPI_DF2DATA_MEDIA_NOT_BLANK", "The medium is not blank: an image is written to a blank or an "
                    + "overwritable medium only.");
    /** {@code 0xC0AA0406}: the type of the medium in the drive is not supported for writing. */
    public static final HResult E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED = known(0xC0AA0406,
            "E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED", "The current media type is unsupported.");
    /** {@code 0xC0AA0407}: the recorder does not support the operations needed to write a data disc. */
    public static final HResult E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED = known(0xC0AA0407,
            "E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED",
            "This device does not support the operations required by this disc format.");
    /** {@code 0xC0AA0408}: the client name given to the data writer is not valid. */
    public static final HResult E_IMAPI_DF2DATA_CLIENT_NAME_IS_NOT_VALID = known(0xC0AA0408,
            "E_IMAPI_DF2DATA_CLIENT_NAME_IS_NOT_VALID", "The client name is not valid.");

    /**
     * Checks the description.
     *
     * @param code the 32-bit HRESULT, as a signed Java int
     * @param name the symbolic name
     * @param message what the code means
     * @throws NullPointerException if {@code name} or {@code message} is {@code null}
     */
    public HResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(message, "message");
    }

    private static HResult known(int code, String name, String message) {
        HResult result = new HResult(code, name, message);
        KNOWN.put(code, result);
        return result;
    }

    /**
     * Returns the known HRESULT with this code, or a new one named after its hexadecimal value.
     *
     * @param code the HRESULT
     * @return its description
     */
    public static HResult of(int code) {
        HResult known = KNOWN.get(code);
        if (known != null) {
            return known;
        }
        if (facility(code) == FACILITY_WIN32) {
            return new HResult(code, "HRESULT_FROM_WIN32(" + (code & 0xFFFF) + ")", "Win32 error " + (code & 0xFFFF) + ".");
        }
        return new HResult(code, hex(code), "Unknown HRESULT " + hex(code) + ".");
    }

    /**
     * Every HRESULT discagent knows by name, in declaration order.
     *
     * @return an unmodifiable map from code to HRESULT
     */
    public static Map<Integer, HResult> known() {
        return Collections.unmodifiableMap(KNOWN);
    }

    /**
     * {@code HRESULT_FROM_WIN32}: {@code x <= 0 ? x : (x & 0xFFFF) | 0x80070000}.
     *
     * @param win32 a Win32 error code, such as 55 ({@code ERROR_DEV_NOT_EXIST})
     * @return the HRESULT code
     */
    public static int fromWin32(int win32) {
        return win32 <= 0 ? win32 : (win32 & 0xFFFF) | 0x80070000;
    }

    private static int facility(int code) {
        return (code >>> 16) & 0x1FFF;
    }

    private static String hex(int code) {
        return String.format("0x%08X", code);
    }

    /**
     * The code in hexadecimal.
     *
     * @return the code as {@code 0x} and eight upper-case hex digits, such as {@code 0xC0AA0210}
     */
    public String hex() {
        return hex(code);
    }

    /**
     * The facility field.
     *
     * @return bits 16 to 28 of the code: {@link #FACILITY_WIN32} (7) for Win32, {@link #FACILITY_IMAPI2}
     *     ({@code 0xAA}) for IMAPI2
     */
    public int facility() {
        return facility(code);
    }

    /**
     * Whether the severity bit is set.
     *
     * @return {@code true} for a failure code (negative as an int), {@code false} for a success code
     */
    public boolean isFailure() {
        return code < 0;
    }

    /**
     * Whether this HRESULT carries a Win32 code, and which.
     *
     * @return the Win32 code in the low 16 bits when the facility is Win32 (such as {@code 55} for
     *     {@code 0x80070037}), otherwise -1
     */
    public int win32Code() {
        return facility() == FACILITY_WIN32 ? code & 0xFFFF : -1;
    }

    @Override
    public String toString() {
        return hex() + " " + name;
    }
}
