package io.discagent.agent.backend.windows;

/**
 * The numeric COM and Win32 codes the backend uses: the HRESULTs it maps or answers, and the flags it passes.
 * {@code Imapi2ReferenceConformanceTests} checks each one: the IMAPI2 and apartment codes against
 * the project's {@code docs/imapi2-reference.md}, the generic OLE codes that only the event sink answers against jna-platform's
 * {@code WinError}.
 */
final class ComCodes {

    // --- success -------------------------------------------------------------------------------------------------

    static final int S_OK = 0;
    /** CoInitializeEx: the thread was already in this apartment; it still needs its CoUninitialize. */
    static final int S_FALSE = 1;

    // --- mapped by ComErrors -------------------------------------------------------------------------------------

    static final int E_IMAPI_RECORDER_LOCKED = 0xC0AA0210;
    static final int E_IMAPI_RECORDER_COMMAND_TIMEOUT = 0xC0AA020D;
    static final int E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID = 0xC0AA0211;
    /** {@code IDiscFormat2Data::put_ClientName} refused the name. */
    static final int E_IMAPI_DF2DATA_CLIENT_NAME_IS_NOT_VALID = 0xC0AA0408;
    static final int E_ACCESSDENIED = 0x80070005;
    static final int E_INVALIDARG = 0x80070057;
    static final int E_FAIL = 0x80004005;
    static final int HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE = 0x80070006;
    static final int HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST = 0x80070037;
    static final int HRESULT_FROM_WIN32_ERROR_BAD_COMMAND = 0x80070016;
    /** The IDispatch::Invoke wrapper: the real code is in the exception's scode. */
    static final int DISP_E_EXCEPTION = 0x80020009;

    // --- apartment discipline ------------------------------------------------------------------------------------

    static final int RPC_E_CHANGED_MODE = 0x80010106;
    static final int RPC_E_WRONG_THREAD = 0x8001010E;
    static final int CO_E_NOTINITIALIZED = 0x800401F0;
    /** {@code CoInitializeEx} flag: a single-threaded apartment. */
    static final int COINIT_APARTMENTTHREADED = 0x2;
    /** {@code PeekMessage} flag: remove the message from the queue (not declared by jna-platform). */
    static final int PM_REMOVE = 0x0001;
    /** The message that would end a message loop; ours ends when the agent stops the worker, so it is skipped. */
    static final int WM_QUIT = 0x0012;

    // --- answered by the event sink (generic OLE) ----------------------------------------------------------------

    static final int E_POINTER = 0x80004003;
    static final int E_NOINTERFACE = 0x80004002;
    static final int E_UNEXPECTED = 0x8000FFFF;
    static final int DISP_E_MEMBERNOTFOUND = 0x80020003;
    static final int DISP_E_TYPEMISMATCH = 0x80020005;
    static final int DISP_E_UNKNOWNNAME = 0x80020006;
    static final int DISP_E_NONAMEDARGS = 0x80020007;
    static final int DISP_E_BADINDEX = 0x8002000B;
    static final int DISP_E_BADPARAMCOUNT = 0x8002000E;

    private ComCodes() {
    }
}
