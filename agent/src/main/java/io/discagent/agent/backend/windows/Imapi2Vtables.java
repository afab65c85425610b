package io.discagent.agent.backend.windows;

/**
 * The vtable slots the real binding calls, and the flags and return values of the Win32 and OLE functions it uses
 * (values of {@code imapi2.h}, {@code ocidl.h}, {@code unknwn.h}, {@code wtypes.h}, {@code winuser.h} and
 * {@code winbase.h}). Slots count from 0: 0&ndash;2 are {@code IUnknown}'s, 3&ndash;6 {@code IDispatch}'s, so the
 * methods of IMAPI2's dual interfaces start at 7. {@code Imapi2VtablesTests} checks the values against the headers' own
 * order, and the native test library implements the interfaces with C vtables laid out as the headers declare them, so
 * a wrong slot calls the wrong method there.
 */
final class Imapi2Vtables {

    // --- IUnknown ------------------------------------------------------------------------------------------------

    static final int IUNKNOWN_QUERY_INTERFACE = 0;
    static final int IUNKNOWN_ADD_REF = 1;
    static final int IUNKNOWN_RELEASE = 2;

    // --- IDiscMaster2 (IDispatch-derived) ------------------------------------------------------------------------

    /** {@code get_Item(LONG index, BSTR *value)}. */
    static final int MASTER_GET_ITEM = 8;
    /** {@code get_Count(LONG *value)}. */
    static final int MASTER_GET_COUNT = 9;
    /** {@code get_IsSupportedEnvironment(VARIANT_BOOL *value)}. */
    static final int MASTER_GET_IS_SUPPORTED_ENVIRONMENT = 10;

    // --- IDiscRecorder2 (IDispatch-derived) ----------------------------------------------------------------------

    /** {@code AcquireExclusiveAccess(VARIANT_BOOL force, BSTR clientName)}. */
    static final int RECORDER_ACQUIRE_EXCLUSIVE_ACCESS = 9;
    /** {@code ReleaseExclusiveAccess(void)}. */
    static final int RECORDER_RELEASE_EXCLUSIVE_ACCESS = 10;
    /** {@code InitializeDiscRecorder(BSTR recorderUniqueId)}. */
    static final int RECORDER_INITIALIZE_DISC_RECORDER = 13;
    /** {@code get_VendorId(BSTR *value)}. */
    static final int RECORDER_GET_VENDOR_ID = 15;
    /** {@code get_ProductId(BSTR *value)}. */
    static final int RECORDER_GET_PRODUCT_ID = 16;
    /** {@code get_ProductRevision(BSTR *value)}. */
    static final int RECORDER_GET_PRODUCT_REVISION = 17;
    /** {@code get_VolumePathNames(SAFEARRAY **value)}: a SAFEARRAY of VARIANTs holding BSTRs. */
    static final int RECORDER_GET_VOLUME_PATH_NAMES = 19;
    /** {@code get_ExclusiveAccessOwner(BSTR *value)}. */
    static final int RECORDER_GET_EXCLUSIVE_ACCESS_OWNER = 27;

    // --- connection points (IUnknown-derived) --------------------------------------------------------------------

    /** {@code IConnectionPointContainer::FindConnectionPoint(REFIID riid, IConnectionPoint **ppCP)}. */
    static final int CONTAINER_FIND_CONNECTION_POINT = 4;
    /** {@code IConnectionPoint::Advise(IUnknown *pUnkSink, DWORD *pdwCookie)}. */
    static final int POINT_ADVISE = 5;
    /** {@code IConnectionPoint::Unadvise(DWORD dwCookie)}. */
    static final int POINT_UNADVISE = 6;

    // --- flags and values ----------------------------------------------------------------------------------------

    /** {@code CLSCTX_SERVER} = {@code CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER}. */
    static final int CLSCTX_SERVER = 0x15;
    /** {@code VARIANT_TRUE}: a {@code VARIANT_BOOL} is a 16-bit short, and true is all ones. */
    static final short VARIANT_TRUE = -1;
    static final short VARIANT_FALSE = 0;
    /** {@code VT_VARIANT} and {@code VT_BSTR}, the element types a string SAFEARRAY may have. */
    static final int VT_VARIANT = 12;
    static final int VT_BSTR = 8;
    /** {@code QS_ALLINPUT}: wake for any message, posted or sent, and any input. */
    static final int QS_ALLINPUT = 0x04FF;
    /** {@code MWMO_INPUTAVAILABLE}: also return when a message is already queued (seen but not removed). */
    static final int MWMO_INPUTAVAILABLE = 0x0004;
    /** {@code WAIT_OBJECT_0}; {@code WAIT_OBJECT_0 + nCount} means a message arrived. */
    static final int WAIT_OBJECT_0 = 0;
    static final int WAIT_TIMEOUT = 0x102;
    static final int WAIT_FAILED = 0xFFFFFFFF;
    /** {@code INFINITE} wait. */
    static final int INFINITE = 0xFFFFFFFF;

    private Imapi2Vtables() {
    }
}
