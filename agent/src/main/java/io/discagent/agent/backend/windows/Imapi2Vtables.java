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
    /** {@code get_SupportedProfiles(SAFEARRAY **value)}: VARIANTs holding the MMC profile numbers ({@code VT_I4}). */
    static final int RECORDER_GET_SUPPORTED_PROFILES = 24;
    /** {@code get_CurrentProfiles(SAFEARRAY **value)}. */
    static final int RECORDER_GET_CURRENT_PROFILES = 25;

    // --- IDiscFormat2Data (IDiscFormat2, itself IDispatch-derived) -----------------------------------------------

    /** {@code IsCurrentMediaSupported(IDiscRecorder2 *recorder, VARIANT_BOOL *value)}. */
    static final int FORMAT_IS_CURRENT_MEDIA_SUPPORTED = 8;
    /** {@code get_MediaHeuristicallyBlank(VARIANT_BOOL *value)}. */
    static final int FORMAT_GET_MEDIA_HEURISTICALLY_BLANK = 10;
    /** {@code get_SupportedMediaTypes(SAFEARRAY **value)}: VARIANTs holding {@code IMAPI_MEDIA_PHYSICAL_TYPE}s. */
    static final int FORMAT_GET_SUPPORTED_MEDIA_TYPES = 11;
    /** {@code put_Recorder(IDiscRecorder2 *value)}. */
    static final int DATA_PUT_RECORDER = 12;
    /** {@code get_CurrentMediaStatus(IMAPI_FORMAT2_DATA_MEDIA_STATE *value)}. */
    static final int DATA_GET_CURRENT_MEDIA_STATUS = 18;
    /** {@code get_TotalSectorsOnMedia(LONG *value)}. */
    static final int DATA_GET_TOTAL_SECTORS_ON_MEDIA = 20;
    /** {@code get_FreeSectorsOnMedia(LONG *value)}. */
    static final int DATA_GET_FREE_SECTORS_ON_MEDIA = 21;
    /** {@code put_ForceMediaToBeClosed(VARIANT_BOOL value)}. */
    static final int DATA_PUT_FORCE_MEDIA_TO_BE_CLOSED = 25;
    /** {@code get_CurrentPhysicalMediaType(IMAPI_MEDIA_PHYSICAL_TYPE *value)}. */
    static final int DATA_GET_CURRENT_PHYSICAL_MEDIA_TYPE = 29;
    /** {@code put_ClientName(BSTR value)}. */
    static final int DATA_PUT_CLIENT_NAME = 30;
    /** {@code Write(IStream *data)}. */
    static final int DATA_WRITE = 41;
    /** {@code CancelWrite(void)}. */
    static final int DATA_CANCEL_WRITE = 42;
    /** {@code SetWriteSpeed(LONG RequestedSectorsPerSecond, VARIANT_BOOL RotationTypeIsPureCAV)}. */
    static final int DATA_SET_WRITE_SPEED = 43;

    // --- IDiscFormat2DataEventArgs (IWriteEngine2EventArgs, IDispatch-derived) -----------------------------------

    /** {@code get_StartLba(LONG *value)}. */
    static final int ARGS_GET_START_LBA = 7;
    /** {@code get_SectorCount(LONG *value)}. */
    static final int ARGS_GET_SECTOR_COUNT = 8;
    /** {@code get_LastWrittenLba(LONG *value)}. */
    static final int ARGS_GET_LAST_WRITTEN_LBA = 10;
    /** {@code get_TotalSystemBuffer(LONG *value)}. */
    static final int ARGS_GET_TOTAL_SYSTEM_BUFFER = 11;
    /** {@code get_UsedSystemBuffer(LONG *value)}. */
    static final int ARGS_GET_USED_SYSTEM_BUFFER = 12;
    /** {@code get_ElapsedTime(LONG *value)}. */
    static final int ARGS_GET_ELAPSED_TIME = 14;
    /** {@code get_RemainingTime(LONG *value)}. */
    static final int ARGS_GET_REMAINING_TIME = 15;
    /** {@code get_TotalTime(LONG *value)}. */
    static final int ARGS_GET_TOTAL_TIME = 16;
    /** {@code get_CurrentAction(IMAPI_FORMAT2_DATA_WRITE_ACTION *value)}. */
    static final int ARGS_GET_CURRENT_ACTION = 17;

    // --- IBurnVerification (IUnknown-derived) --------------------------------------------------------------------

    /** {@code put_BurnVerificationLevel(IMAPI_BURN_VERIFICATION_LEVEL value)}. */
    static final int VERIFICATION_PUT_LEVEL = 3;

    // --- IStream (ISequentialStream, IUnknown-derived), the slots of our image stream ----------------------------

    static final int STREAM_READ = 3;
    static final int STREAM_WRITE = 4;
    static final int STREAM_SEEK = 5;
    static final int STREAM_SET_SIZE = 6;
    static final int STREAM_COPY_TO = 7;
    static final int STREAM_COMMIT = 8;
    static final int STREAM_REVERT = 9;
    static final int STREAM_LOCK_REGION = 10;
    static final int STREAM_UNLOCK_REGION = 11;
    static final int STREAM_STAT = 12;
    static final int STREAM_CLONE = 13;

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
    /** {@code VT_I4}: a 32-bit integer VARIANT (profile numbers, media types). */
    static final int VT_I4 = 3;
    /** {@code STREAM_SEEK_SET}, {@code STREAM_SEEK_CUR}, {@code STREAM_SEEK_END} ({@code objidl.h}). */
    static final int STREAM_SEEK_SET = 0;
    static final int STREAM_SEEK_CUR = 1;
    static final int STREAM_SEEK_END = 2;
    /** {@code STGTY_STREAM}: what {@code IStream::Stat} says it is. */
    static final int STGTY_STREAM = 2;
    /** {@code STATFLAG_NONAME}: the caller does not want the name (we never give one). */
    static final int STATFLAG_NONAME = 1;
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
