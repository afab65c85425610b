/*
 * comshim: a native stand-in, for the Linux tests, for the parts of Ole32, OleAut32, User32 and Kernel32 that the
 * Windows backend's JNA binding calls, with fake MsftDiscMaster2 / MsftDiscRecorder2 objects behind real vtables.
 *
 * What is native here, and checked: the exported functions' C signatures and the structure layouts (GUID, MSG,
 * VARIANT, SAFEARRAY) as Windows headers declare them, with Windows' fixed-size types (LONG, DWORD, HRESULT are
 * 32 bits, VARIANT_BOOL 16, OLECHAR is a 16-bit UTF-16 unit even though wchar_t is 32 bits here); BSTR allocation
 * with the 4-byte length prefix; VARIANT and SAFEARRAY ownership (SafeArrayDestroy clears every element and refuses a
 * locked array, as OleAut32 does); reference counts of every object; vtables in the order of imapi2.h and ocidl.h.
 * Every allocation and free is counted, and every misuse (a double free, a pointer that is not a BSTR where a BSTR is
 * required, a call on a released object, a call of a method the binding should never call, a VARIANT_BOOL that is
 * not VARIANT_TRUE/VARIANT_FALSE, ...) is recorded for the tests to read.
 *
 * What is not native: what the objects *do*. Every method asks the Java test model (shim_set_model) for its outcome
 * (the same FakeMachine that drives the tests of the pure-Java fake COM layer), so one set of contract tests runs over
 * both layers. Thread rules (apartments, CoInitializeEx per thread, calls on the creating thread) are checked by that
 * model, which sees the calling thread.
 *
 * Each "process" of a test loads its own copy of this library (the tests copy the file), so every copy has its own
 * counters and model. Build: gcc -shared -fPIC -fvisibility=hidden -Wl,-Bsymbolic (ComShim.java does it).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define EXPORT __attribute__((visibility("default")))

typedef int32_t HRESULT;
typedef uint16_t OLECHAR;
typedef OLECHAR *BSTR;
typedef int16_t VARIANT_BOOL;
typedef uint16_t VARTYPE;
typedef uint32_t DWORD;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint32_t UINT;
typedef int32_t BOOL;

#define S_OK ((HRESULT)0)
#define E_NOTIMPL ((HRESULT)0x80004001)
#define E_NOINTERFACE ((HRESULT)0x80004002)
#define E_POINTER ((HRESULT)0x80004003)
#define E_UNEXPECTED ((HRESULT)0x8000FFFF)
#define E_OUTOFMEMORY ((HRESULT)0x8007000E)
#define E_INVALIDARG ((HRESULT)0x80070057)
#define DISP_E_BADINDEX ((HRESULT)0x8002000B)
#define DISP_E_ARRAYISLOCKED ((HRESULT)0x8002000D)
#define CLASS_E_NOAGGREGATION ((HRESULT)0x80040110)
#define REGDB_E_CLASSNOTREG ((HRESULT)0x80040154)
#define CONNECT_E_NOCONNECTION ((HRESULT)0x80040200)
#define RPC_E_DISCONNECTED ((HRESULT)0x80010108)

#define VARIANT_TRUE ((VARIANT_BOOL)-1)
#define VARIANT_FALSE ((VARIANT_BOOL)0)
#define VT_EMPTY 0
#define VT_I4 3
#define VT_BSTR 8
#define VT_VARIANT 12
#define FADF_HAVEVARTYPE 0x0080
#define FADF_BSTR 0x0100
#define FADF_VARIANT 0x0800
#define CLSCTX_INPROC_SERVER 0x1
#define WM_QUIT 0x0012
#define SHIM_WM_DELIVER 0x8100 /* WM_APP + 0x100: a delivery the model queued for the thread */
#define SHIM_LPARAM_MARK 0x5A5A
#define PM_REMOVE 0x0001

/* --- structures, as the Windows headers lay them out ---------------------------------------------------------- */

typedef struct {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;

typedef struct {
    VARTYPE vt;
    uint16_t wReserved1, wReserved2, wReserved3;
    union {
        int64_t llVal;
        LONG lVal;
        VARIANT_BOOL boolVal;
        BSTR bstrVal;
        void *byref;
        struct {
            void *pvRecord;
            void *pRecInfo;
        } record;
    } u;
} VARIANT;

typedef struct {
    ULONG cElements;
    LONG lLbound;
} SAFEARRAYBOUND;

typedef struct {
    uint16_t cDims;
    uint16_t fFeatures;
    ULONG cbElements;
    ULONG cLocks;
    void *pvData;
    SAFEARRAYBOUND rgsabound[1];
} SAFEARRAY;

typedef struct {
    void *hwnd;
    UINT message;
    uintptr_t wParam;
    intptr_t lParam;
    DWORD time;
    LONG x;
    LONG y;
} MSG;

_Static_assert(sizeof(GUID) == 16, "GUID");
_Static_assert(sizeof(VARIANT) == (sizeof(void *) == 8 ? 24 : 16), "VARIANT");
_Static_assert(offsetof(VARIANT, u) == 8, "VARIANT value offset");
_Static_assert(offsetof(SAFEARRAY, pvData) == (sizeof(void *) == 8 ? 16 : 12), "SAFEARRAY.pvData");

/* --- identifiers (imapi2.h, ocidl.h, unknwn.h, oaidl.h) ----------------------------------------------------------- */

static const GUID CLSID_MsftDiscMaster2 = {0x2735412E, 0x7F64, 0x5B0F, {0x8F, 0x00, 0x5D, 0x77, 0xAF, 0xBE, 0x26, 0x1E}};
static const GUID CLSID_MsftDiscRecorder2 = {0x2735412D, 0x7F64, 0x5B0F, {0x8F, 0x00, 0x5D, 0x77, 0xAF, 0xBE, 0x26, 0x1E}};
static const GUID IID_IDiscMaster2 = {0x27354130, 0x7F64, 0x5B0F, {0x8F, 0x00, 0x5D, 0x77, 0xAF, 0xBE, 0x26, 0x1E}};
static const GUID IID_DDiscMaster2Events = {0x27354131, 0x7F64, 0x5B0F, {0x8F, 0x00, 0x5D, 0x77, 0xAF, 0xBE, 0x26, 0x1E}};
static const GUID IID_IDiscRecorder2 = {0x27354133, 0x7F64, 0x5B0F, {0x8F, 0x00, 0x5D, 0x77, 0xAF, 0xBE, 0x26, 0x1E}};
static const GUID IID_IUnknown = {0x00000000, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const GUID IID_IDispatch = {0x00020400, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const GUID IID_IConnectionPointContainer = {0xB196B284, 0xBAB4, 0x101A, {0xB6, 0x9C, 0x00, 0xAA, 0x00, 0x34, 0x1D, 0x07}};
static const GUID IID_IConnectionPoint = {0xB196B286, 0xBAB4, 0x101A, {0xB6, 0x9C, 0x00, 0xAA, 0x00, 0x34, 0x1D, 0x07}};

static int same_guid(const GUID *a, const GUID *b) {
    return a != NULL && memcmp(a, b, sizeof(GUID)) == 0;
}

/* --- the model (Java) ------------------------------------------------------------------------------------------- */

/* What a method asks the model; the values are mirrored in ComShim.java. */
enum {
    M_CO_INITIALIZE_EX = 1, M_CO_UNINITIALIZE = 2, M_CREATE_DISC_MASTER = 3, M_CREATE_DISC_RECORDER = 4,
    M_RELEASE = 5, M_IS_SUPPORTED_ENVIRONMENT = 6, M_COUNT = 7, M_ITEM = 8, M_ADVISE = 9, M_UNADVISE = 10,
    M_INITIALIZE_DISC_RECORDER = 11, M_VENDOR_ID = 12, M_PRODUCT_ID = 13, M_PRODUCT_REVISION = 14,
    M_VOLUME_PATH_NAMES = 15, M_ACQUIRE_EXCLUSIVE_ACCESS = 16, M_RELEASE_EXCLUSIVE_ACCESS = 17,
    M_EXCLUSIVE_ACCESS_OWNER = 18, M_PEEK = 20, M_DISPATCH = 21, M_CREATE_EVENT = 22, M_SET_EVENT = 23,
    M_CLOSE_EVENT = 24, M_WAIT = 25
};

#define MAX_TEXTS 64

/* What the model hands back (filled through shim_out_*). */
typedef struct {
    int texts;
    BSTR text[MAX_TEXTS];
    int has_number;
    int64_t number;
} Out;

typedef int32_t (*model_fn)(int32_t call, int64_t object, const OLECHAR *text, int32_t text_length, int64_t number,
                            int64_t number2, Out *out);

static model_fn model;

/* --- counters and misuse ---------------------------------------------------------------------------------------- */

enum {
    C_BSTR_ALLOCATED, C_BSTR_FREED, C_VARIANT_FILLED, C_VARIANT_CLEARED, C_ARRAY_CREATED, C_ARRAY_DESTROYED,
    C_ARRAY_ACCESSED, C_ARRAY_UNACCESSED, C_OBJECT_CREATED, C_OBJECT_DESTROYED, C_REFERENCE_ADDED,
    C_REFERENCE_RELEASED, C_EVENT_CREATED, C_EVENT_CLOSED, C_MISUSE, C_CO_INITIALIZED, C_CO_UNINITIALIZED,
    C_MESSAGE_PEEKED, C_MESSAGE_DISPATCHED, C_WAITS, C_COUNTERS
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t counters[C_COUNTERS];
static char misuse_log[16384];
static size_t misuse_length;
static __thread int co_initialized; /* CoInitializeEx successes not yet undone on this thread */

static void count(int counter, int64_t delta) {
    pthread_mutex_lock(&lock);
    counters[counter] += delta;
    pthread_mutex_unlock(&lock);
}

static void misuse(const char *format, ...) {
    char line[512];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    pthread_mutex_lock(&lock);
    counters[C_MISUSE]++;
    size_t n = strlen(line);
    if (misuse_length + n + 2 < sizeof misuse_log) {
        memcpy(misuse_log + misuse_length, line, n);
        misuse_length += n;
        misuse_log[misuse_length++] = '\n';
        misuse_log[misuse_length] = 0;
    }
    pthread_mutex_unlock(&lock);
}

/* --- scripted failures of the OLE runtime itself ------------------------------------------------------------------ */

typedef struct {
    char function[64];
    HRESULT hr;
    int remaining;
} Failure;

static Failure failures[16];

/* Whether the named runtime function fails now, and with what. */
static HRESULT scripted(const char *function) {
    HRESULT hr = S_OK;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < 16; i++) {
        if (failures[i].remaining > 0 && strcmp(failures[i].function, function) == 0) {
            failures[i].remaining--;
            hr = failures[i].hr;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return hr;
}

/* --- registries: what is live, so a foreign or stale pointer is recognised instead of crashing ------------------ */

typedef struct {
    void **items;
    size_t length;
    size_t capacity;
} Registry;

static Registry live_bstrs, live_arrays, all_objects, all_events;

static void registry_add(Registry *r, void *item) {
    pthread_mutex_lock(&lock);
    if (r->length == r->capacity) {
        r->capacity = r->capacity == 0 ? 64 : r->capacity * 2;
        r->items = realloc(r->items, r->capacity * sizeof(void *));
    }
    r->items[r->length++] = item;
    pthread_mutex_unlock(&lock);
}

static int registry_remove(Registry *r, void *item) {
    int found = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < r->length; i++) {
        if (r->items[i] == item) {
            r->items[i] = r->items[--r->length];
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}

static int registry_contains(Registry *r, const void *item) {
    int found = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < r->length; i++) {
        if (r->items[i] == item) {
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}

/* --- BSTR ------------------------------------------------------------------------------------------------------- */

static BSTR bstr_allocate(const OLECHAR *chars, UINT length) {
    uint8_t *block = malloc(4 + 2 * (size_t)length + 2);
    if (block == NULL) {
        return NULL;
    }
    *(uint32_t *)block = 2 * length;
    BSTR bstr = (BSTR)(block + 4);
    if (chars != NULL) {
        memcpy(bstr, chars, 2 * (size_t)length);
    } else {
        memset(bstr, 0, 2 * (size_t)length);
    }
    bstr[length] = 0;
    registry_add(&live_bstrs, bstr);
    count(C_BSTR_ALLOCATED, 1);
    return bstr;
}

static void bstr_free(BSTR bstr, const char *by) {
    if (bstr == NULL) {
        return;
    }
    if (!registry_remove(&live_bstrs, bstr)) {
        misuse("%s: %p is not a live BSTR (freed twice, or never allocated by SysAllocString*)", by, (void *)bstr);
        return;
    }
    count(C_BSTR_FREED, 1);
    free((uint8_t *)bstr - 4);
}

static UINT bstr_length(BSTR bstr) {
    return bstr == NULL ? 0 : *(uint32_t *)((uint8_t *)bstr - 4) / 2;
}

/* A BSTR argument must be a BSTR (or NULL, the empty BSTR): not a plain string, not a freed one. */
static int bstr_argument(BSTR bstr, const char *method) {
    if (bstr != NULL && !registry_contains(&live_bstrs, bstr)) {
        misuse("%s: its BSTR argument %p is not a live BSTR", method, (void *)bstr);
        return 0;
    }
    return 1;
}

EXPORT BSTR SysAllocStringLen(const OLECHAR *chars, UINT length) {
    if (scripted("SysAllocStringLen") != S_OK) {
        return NULL;
    }
    return bstr_allocate(chars, length);
}

/*
 * jna-platform declares SysAllocString(String) with the W32 type mapper, which hands JNA's wide string: on Linux a
 * wchar_t is 32 bits (UTF-32). Windows' OLECHAR is UTF-16, so this stand-in converts, as the test of that mapping
 * shows; the backend itself never calls it (it passes UTF-16 to SysAllocStringLen).
 */
EXPORT BSTR SysAllocString(const wchar_t *text) {
    if (text == NULL) {
        return NULL;
    }
    size_t n = wcslen(text);
    OLECHAR *units = malloc(2 * (2 * n + 1));
    UINT length = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)text[i];
        if (c >= 0x10000) {
            c -= 0x10000;
            units[length++] = (OLECHAR)(0xD800 + (c >> 10));
            units[length++] = (OLECHAR)(0xDC00 + (c & 0x3FF));
        } else {
            units[length++] = (OLECHAR)c;
        }
    }
    BSTR bstr = bstr_allocate(units, length);
    free(units);
    return bstr;
}

EXPORT void SysFreeString(BSTR bstr) {
    bstr_free(bstr, "SysFreeString");
}

EXPORT UINT SysStringLen(BSTR bstr) {
    if (bstr != NULL && !registry_contains(&live_bstrs, bstr)) {
        misuse("SysStringLen: %p is not a live BSTR", (void *)bstr);
        return 0;
    }
    return bstr_length(bstr);
}

EXPORT UINT SysStringByteLen(BSTR bstr) {
    return 2 * SysStringLen(bstr);
}

/* --- VARIANT ---------------------------------------------------------------------------------------------------- */

EXPORT void VariantInit(VARIANT *variant) {
    if (variant != NULL) {
        memset(variant, 0, sizeof *variant);
    }
}

static HRESULT variant_clear(VARIANT *variant, const char *by) {
    if (variant == NULL) {
        return E_INVALIDARG;
    }
    switch (variant->vt) {
        case VT_EMPTY:
        case VT_I4:
            break;
        case VT_BSTR:
            bstr_free(variant->u.bstrVal, by);
            count(C_VARIANT_CLEARED, 1);
            break;
        default:
            misuse("%s: VARIANT of type %u is not one this stand-in makes", by, variant->vt);
            break;
    }
    memset(variant, 0, sizeof *variant);
    return S_OK;
}

EXPORT HRESULT VariantClear(VARIANT *variant) {
    return variant_clear(variant, "VariantClear");
}

/* --- SAFEARRAY -------------------------------------------------------------------------------------------------- */

/* Windows keeps the VARTYPE of a FADF_HAVEVARTYPE array in the 4 bytes before the descriptor; so does this. */
static SAFEARRAY *array_create(VARTYPE vt, UINT dimensions, ULONG elements, LONG lower) {
    size_t header = sizeof(SAFEARRAY) + (dimensions > 1 ? (dimensions - 1) * sizeof(SAFEARRAYBOUND) : 0);
    uint8_t *block = calloc(1, 16 + header);
    SAFEARRAY *array = (SAFEARRAY *)(block + 16);
    *(uint32_t *)(block + 12) = vt;
    array->cDims = (uint16_t)dimensions;
    array->fFeatures = FADF_HAVEVARTYPE | (vt == VT_VARIANT ? FADF_VARIANT : vt == VT_BSTR ? FADF_BSTR : 0);
    array->cbElements = vt == VT_VARIANT ? sizeof(VARIANT) : vt == VT_BSTR ? sizeof(BSTR) : 4;
    size_t total = 1;
    for (UINT d = 0; d < dimensions; d++) {
        array->rgsabound[d].cElements = d == 0 ? elements : 1;
        array->rgsabound[d].lLbound = lower;
        total *= array->rgsabound[d].cElements;
    }
    array->pvData = calloc(total == 0 ? 1 : total, array->cbElements);
    registry_add(&live_arrays, array);
    count(C_ARRAY_CREATED, 1);
    return array;
}

static VARTYPE array_vartype(SAFEARRAY *array) {
    return (VARTYPE) * (uint32_t *)((uint8_t *)array - 4);
}

static size_t array_total(SAFEARRAY *array) {
    size_t total = 1;
    for (UINT d = 0; d < array->cDims; d++) {
        total *= array->rgsabound[d].cElements;
    }
    return total;
}

static int array_argument(SAFEARRAY *array, const char *function) {
    if (array == NULL || !registry_contains(&live_arrays, array)) {
        misuse("%s: %p is not a live SAFEARRAY", function, (void *)array);
        return 0;
    }
    return 1;
}

EXPORT UINT SafeArrayGetDim(SAFEARRAY *array) {
    return array_argument(array, "SafeArrayGetDim") ? array->cDims : 0;
}

EXPORT HRESULT SafeArrayGetVartype(SAFEARRAY *array, VARTYPE *vt) {
    HRESULT hr = scripted("SafeArrayGetVartype");
    if (hr != S_OK) {
        return hr;
    }
    if (vt == NULL || !array_argument(array, "SafeArrayGetVartype")) {
        return E_INVALIDARG;
    }
    *vt = array_vartype(array);
    return S_OK;
}

/* Bounds are stored rightmost dimension first; dimension 1 (the leftmost) is the last entry. */
static HRESULT bound(SAFEARRAY *array, UINT dimension, LONG *value, int upper, const char *function) {
    HRESULT hr = scripted(function);
    if (hr != S_OK) {
        return hr;
    }
    if (value == NULL || !array_argument(array, function)) {
        return E_INVALIDARG;
    }
    if (dimension < 1 || dimension > array->cDims) {
        return DISP_E_BADINDEX;
    }
    SAFEARRAYBOUND *b = &array->rgsabound[array->cDims - dimension];
    *value = upper ? b->lLbound + (LONG)b->cElements - 1 : b->lLbound;
    return S_OK;
}

EXPORT HRESULT SafeArrayGetLBound(SAFEARRAY *array, UINT dimension, LONG *value) {
    return bound(array, dimension, value, 0, "SafeArrayGetLBound");
}

EXPORT HRESULT SafeArrayGetUBound(SAFEARRAY *array, UINT dimension, LONG *value) {
    return bound(array, dimension, value, 1, "SafeArrayGetUBound");
}

EXPORT HRESULT SafeArrayAccessData(SAFEARRAY *array, void **data) {
    HRESULT hr = scripted("SafeArrayAccessData");
    if (hr != S_OK) {
        return hr;
    }
    if (data == NULL || !array_argument(array, "SafeArrayAccessData")) {
        return E_INVALIDARG;
    }
    array->cLocks++;
    *data = array->pvData;
    count(C_ARRAY_ACCESSED, 1);
    return S_OK;
}

EXPORT HRESULT SafeArrayUnaccessData(SAFEARRAY *array) {
    if (!array_argument(array, "SafeArrayUnaccessData")) {
        return E_INVALIDARG;
    }
    if (array->cLocks == 0) {
        misuse("SafeArrayUnaccessData: the array is not accessed");
        return E_UNEXPECTED;
    }
    array->cLocks--;
    count(C_ARRAY_UNACCESSED, 1);
    return S_OK;
}

EXPORT HRESULT SafeArrayDestroy(SAFEARRAY *array) {
    if (array == NULL) {
        return S_OK;
    }
    if (!registry_contains(&live_arrays, array)) {
        misuse("SafeArrayDestroy: %p is not a live SAFEARRAY (destroyed twice?)", (void *)array);
        return E_INVALIDARG;
    }
    if (array->cLocks > 0) {
        return DISP_E_ARRAYISLOCKED; /* as OleAut32: the array stays, and is leaked unless unlocked and destroyed */
    }
    registry_remove(&live_arrays, array);
    size_t total = array_total(array);
    VARTYPE vt = array_vartype(array);
    for (size_t i = 0; i < total; i++) {
        if (vt == VT_VARIANT) {
            variant_clear(&((VARIANT *)array->pvData)[i], "SafeArrayDestroy");
        } else if (vt == VT_BSTR) {
            bstr_free(((BSTR *)array->pvData)[i], "SafeArrayDestroy");
        }
    }
    free(array->pvData);
    free((uint8_t *)array - 16);
    count(C_ARRAY_DESTROYED, 1);
    return S_OK;
}

/* --- the model call --------------------------------------------------------------------------------------------- */

static void out_discard(Out *out) {
    for (int i = 0; i < out->texts; i++) {
        bstr_free(out->text[i], "the stand-in discarding a failed call's output");
    }
    out->texts = 0;
}

static HRESULT ask(int call, int64_t object, BSTR text, int64_t number, int64_t number2, Out *out) {
    memset(out, 0, sizeof *out);
    if (model == NULL) {
        misuse("call %d with no model set", call);
        return E_UNEXPECTED;
    }
    HRESULT hr = model(call, object, text, (int32_t)bstr_length(text), number, number2, out);
    if (hr < 0) {
        out_discard(out);
    }
    return hr;
}

EXPORT void shim_out_text(Out *out, const OLECHAR *chars, int32_t length) {
    if (out->texts < MAX_TEXTS) {
        out->text[out->texts++] = bstr_allocate(chars, (UINT)length);
    }
}

EXPORT void shim_out_null(Out *out) {
    if (out->texts < MAX_TEXTS) {
        out->text[out->texts++] = NULL;
    }
}

EXPORT void shim_out_number(Out *out, int64_t number) {
    out->has_number = 1;
    out->number = number;
}

/* The single BSTR a property returns (ownership passes to the caller), or NULL. */
static BSTR out_single_text(Out *out, const char *method) {
    if (out->texts != 1) {
        misuse("%s: the model returned %d strings", method, out->texts);
        out_discard(out);
        return NULL;
    }
    return out->text[0];
}

/* --- COM objects ------------------------------------------------------------------------------------------------ */

enum { KIND_MASTER = 1, KIND_RECORDER = 2, KIND_CONNECTION_POINT = 3 };
#define LIVE 0x4C495645u
#define DEAD 0x44454144u

typedef struct Object {
    const void *vtbl;     /* the primary interface: IDiscMaster2, IDiscRecorder2 or IConnectionPoint */
    const void *cpc_vtbl; /* the master's IConnectionPointContainer */
    uint32_t magic;
    int32_t references;
    int kind;
    int64_t id;
    struct Object *master; /* a connection point's container, which it references */
} Object;

static int64_t next_object_id = 1;

static const char *kind_name(int kind) {
    return kind == KIND_MASTER ? "MsftDiscMaster2" : kind == KIND_RECORDER ? "MsftDiscRecorder2" : "IConnectionPoint";
}

/* The object behind an interface pointer; NULL (and a misuse) when it is released or unknown. */
static Object *object_of(void *self, const char *method) {
    if (self == NULL || !registry_contains(&all_objects, self)) {
        misuse("%s: %p is not an object of this stand-in", method, self);
        return NULL;
    }
    Object *object = self;
    if (object->magic != LIVE) {
        misuse("%s: called on released %s #%lld", method, kind_name(object->kind), (long long)object->id);
        return NULL;
    }
    return object;
}

static Object *container_of_cpc(void *self) {
    return (Object *)((uint8_t *)self - offsetof(Object, cpc_vtbl));
}

static Object *object_create(int kind, const void *vtbl, const void *cpc_vtbl) {
    Object *object = calloc(1, sizeof(Object));
    object->vtbl = vtbl;
    object->cpc_vtbl = cpc_vtbl;
    object->magic = LIVE;
    object->references = 1;
    object->kind = kind;
    pthread_mutex_lock(&lock);
    object->id = next_object_id++;
    pthread_mutex_unlock(&lock);
    registry_add(&all_objects, object);
    count(C_OBJECT_CREATED, 1);
    return object;
}

static ULONG object_add_ref(Object *object) {
    pthread_mutex_lock(&lock);
    ULONG references = (ULONG)++object->references;
    counters[C_REFERENCE_ADDED]++;
    pthread_mutex_unlock(&lock);
    return references;
}

static ULONG object_release(Object *object) {
    pthread_mutex_lock(&lock);
    int32_t references = --object->references;
    counters[C_REFERENCE_RELEASED]++;
    if (references == 0) {
        object->magic = DEAD; /* kept as a zombie until shim_reset, so a late call is caught, not a crash */
        counters[C_OBJECT_DESTROYED]++;
    }
    pthread_mutex_unlock(&lock);
    if (references == 0) {
        Out out;
        if (object->kind == KIND_CONNECTION_POINT) {
            object_release(object->master);
        } else {
            ask(M_RELEASE, object->id, NULL, 0, 0, &out);
        }
    }
    return (ULONG)references;
}

/* IUnknown, shared by every interface of an object. */
static HRESULT query_interface(Object *object, const GUID *iid, void **result, const char *method) {
    if (result == NULL) {
        return E_POINTER;
    }
    *result = NULL;
    if (object == NULL) {
        return RPC_E_DISCONNECTED;
    }
    void *answer = NULL;
    if (same_guid(iid, &IID_IUnknown)) {
        answer = object;
    } else if (object->kind == KIND_MASTER) {
        if (same_guid(iid, &IID_IDispatch) || same_guid(iid, &IID_IDiscMaster2)) {
            answer = object;
        } else if (same_guid(iid, &IID_IConnectionPointContainer)) {
            if (scripted("QueryInterface(IConnectionPointContainer)") != S_OK) {
                return E_NOINTERFACE;
            }
            answer = &object->cpc_vtbl;
        }
    } else if (object->kind == KIND_RECORDER) {
        if (same_guid(iid, &IID_IDispatch) || same_guid(iid, &IID_IDiscRecorder2)) {
            answer = object;
        }
    } else if (same_guid(iid, &IID_IConnectionPoint)) {
        answer = object;
    }
    (void)method;
    if (answer == NULL) {
        return E_NOINTERFACE;
    }
    object_add_ref(object);
    *result = answer;
    return S_OK;
}

static HRESULT Unknown_QueryInterface(void *self, const GUID *iid, void **result) {
    return query_interface(object_of(self, "IUnknown::QueryInterface"), iid, result, "QueryInterface");
}

static ULONG Unknown_AddRef(void *self) {
    Object *object = object_of(self, "IUnknown::AddRef");
    return object == NULL ? 0 : object_add_ref(object);
}

static ULONG Unknown_Release(void *self) {
    Object *object = object_of(self, "IUnknown::Release");
    return object == NULL ? 0 : object_release(object);
}

/* The container interface shares the master's reference count. */
static HRESULT CPC_QueryInterface(void *self, const GUID *iid, void **result) {
    return query_interface(object_of(container_of_cpc(self), "IConnectionPointContainer::QueryInterface"), iid,
                           result, "QueryInterface");
}

static ULONG CPC_AddRef(void *self) {
    Object *object = object_of(container_of_cpc(self), "IConnectionPointContainer::AddRef");
    return object == NULL ? 0 : object_add_ref(object);
}

static ULONG CPC_Release(void *self) {
    Object *object = object_of(container_of_cpc(self), "IConnectionPointContainer::Release");
    return object == NULL ? 0 : object_release(object);
}

/* A method the binding must never call: recorded, and E_NOTIMPL. */
#define UNEXPECTED(name, text)                                                                                         \
    static HRESULT name(void *self) {                                                                                  \
        misuse("unexpected call of %s on %p", text, self);                                                             \
        return E_NOTIMPL;                                                                                              \
    }

UNEXPECTED(Unexpected_GetTypeInfoCount, "IDispatch::GetTypeInfoCount (slot 3)")
UNEXPECTED(Unexpected_GetTypeInfo, "IDispatch::GetTypeInfo (slot 4)")
UNEXPECTED(Unexpected_GetIDsOfNames, "IDispatch::GetIDsOfNames (slot 5)")
UNEXPECTED(Unexpected_Invoke, "IDispatch::Invoke (slot 6)")
UNEXPECTED(Master_get__NewEnum, "IDiscMaster2::get__NewEnum (slot 7)")
UNEXPECTED(Recorder_EjectMedia, "IDiscRecorder2::EjectMedia (slot 7)")
UNEXPECTED(Recorder_CloseTray, "IDiscRecorder2::CloseTray (slot 8)")
UNEXPECTED(Recorder_DisableMcn, "IDiscRecorder2::DisableMcn (slot 11)")
UNEXPECTED(Recorder_EnableMcn, "IDiscRecorder2::EnableMcn (slot 12)")
UNEXPECTED(Recorder_get_ActiveDiscRecorder, "IDiscRecorder2::get_ActiveDiscRecorder (slot 14)")
UNEXPECTED(Recorder_get_VolumeName, "IDiscRecorder2::get_VolumeName (slot 18)")
UNEXPECTED(Recorder_get_DeviceCanLoadMedia, "IDiscRecorder2::get_DeviceCanLoadMedia (slot 20)")
UNEXPECTED(Recorder_get_LegacyDeviceNumber, "IDiscRecorder2::get_LegacyDeviceNumber (slot 21)")
UNEXPECTED(Recorder_get_SupportedFeaturePages, "IDiscRecorder2::get_SupportedFeaturePages (slot 22)")
UNEXPECTED(Recorder_get_CurrentFeaturePages, "IDiscRecorder2::get_CurrentFeaturePages (slot 23)")
UNEXPECTED(Recorder_get_SupportedProfiles, "IDiscRecorder2::get_SupportedProfiles (slot 24)")
UNEXPECTED(Recorder_get_CurrentProfiles, "IDiscRecorder2::get_CurrentProfiles (slot 25)")
UNEXPECTED(Recorder_get_SupportedModePages, "IDiscRecorder2::get_SupportedModePages (slot 26)")
UNEXPECTED(Container_EnumConnectionPoints, "IConnectionPointContainer::EnumConnectionPoints (slot 3)")
UNEXPECTED(Point_GetConnectionInterface, "IConnectionPoint::GetConnectionInterface (slot 3)")
UNEXPECTED(Point_GetConnectionPointContainer, "IConnectionPoint::GetConnectionPointContainer (slot 4)")
UNEXPECTED(Point_EnumConnections, "IConnectionPoint::EnumConnections (slot 7)")

/* A get_X(BSTR *value) property. */
static HRESULT bstr_property(void *self, BSTR *value, int call, const char *method) {
    if (value == NULL) {
        return E_POINTER;
    }
    *value = NULL;
    Object *object = object_of(self, method);
    if (object == NULL) {
        return RPC_E_DISCONNECTED;
    }
    Out out;
    HRESULT hr = ask(call, object->id, NULL, 0, 0, &out);
    if (hr >= 0) {
        *value = out_single_text(&out, method);
    }
    return hr;
}

/* --- IDiscMaster2 ----------------------------------------------------------------------------------------------- */

static HRESULT Master_get_Item(void *self, LONG index, BSTR *value) {
    if (value == NULL) {
        return E_POINTER;
    }
    *value = NULL;
    Object *object = object_of(self, "IDiscMaster2::get_Item");
    if (object == NULL) {
        return RPC_E_DISCONNECTED;
    }
    Out out;
    HRESULT hr = ask(M_ITEM, object->id, NULL, index, 0, &out);
    if (hr >= 0) {
        *value = out_single_text(&out, "IDiscMaster2::get_Item");
    }
    return hr;
}

static HRESULT Master_get_Count(void *self, LONG *value) {
    if (value == NULL) {
        return E_POINTER;
    }
    Object *object = object_of(self, "IDiscMaster2::get_Count");
    if (object == NULL) {
        return RPC_E_DISCONNECTED;
    }
    Out out;
    HRESULT hr = ask(M_COUNT, object->id, NULL, 0, 0, &out);
    if (hr >= 0) {
        *value = (LONG)out.number;
    }
    return hr;
}

static HRESULT Master_get_IsSupportedEnvironment(void *self, VARIANT_BOOL *value) {
    if (value == NULL) {
        return E_POINTER;
    }
    Object *object = object_of(self, "IDiscMaster2::get_IsSupportedEnvironment");
    if (object == NULL) {
        return RPC_E_DISCONNECTED;
    }
    Out out;
    HRESULT hr = ask(M_IS_SUPPORTED_ENVIRONMENT, object->id, NULL, 0, 0, &out);
    if (hr >= 0) {
        *value = out.number ? VARIANT_TRUE : VARIANT_FALSE;
    }
    return hr;
}

static const void *const MASTER_VTABLE[] = {
    (void *)Unknown_QueryInterface, (void *)Unknown_AddRef, (void *)Unknown_Release,
    (void *)Unexpected_GetTypeInfoCount, (void *)Unexpected_GetTypeInfo, (void *)Unexpected_GetIDsOfNames,
    (void *)Unexpected_Invoke, (void *)Master_get__NewEnum, (void *)Master_get_Item, (void *)Master_get_Count,
    (void *)Master_get_IsSupportedEnvironment,
};

/* --- IConnectionPointContainer, IConnectionPoint ---------------------------------------------------------------- */

static const void *const POINT_VTABLE[];

static HRESULT Container_FindConnectionPoint(void *self, const GUID *iid, void **point) {
    if (point == NULL) {
        return E_POINTER;
    }
    *point = NULL;
    Object *master = object_of(container_of_cpc(self), "IConnectionPointContainer::FindConnectionPoint");
    if (master == NULL) {
        return RPC_E_DISCONNECTED;
    }
    HRESULT hr = scripted("FindConnectionPoint");
    if (hr != S_OK) {
        return hr;
    }
    if (!same_guid(iid, &IID_DDiscMaster2Events)) {
        return CONNECT_E_NOCONNECTION;
    }
    Object *created = object_create(KIND_CONNECTION_POINT, POINT_VTABLE, NULL);
    created->master = master;
    object_add_ref(master);
    *point = created;
    return S_OK;
}

static const void *const CONTAINER_VTABLE[] = {
    (void *)CPC_QueryInterface, (void *)CPC_AddRef, (void *)CPC_Release, (void *)Container_EnumConnectionPoints,
    (void *)Container_FindConnectionPoint,
};

static HRESULT Point_Advise(void *self, void *sink, DWORD *cookie) {
    if (sink == NULL || cookie == NULL) {
        return E_POINTER;
    }
    *cookie = 0;
    Object *point = object_of(self, "IConnectionPoint::Advise");
    if (point == NULL) {
        return RPC_E_DISCONNECTED;
    }
    Out out;
    HRESULT hr = ask(M_ADVISE, point->master->id, NULL, (int64_t)(intptr_t)sink, 0, &out);
    if (hr >= 0) {
        *cookie = (DWORD)out.number;
    }
    return hr;
}

static HRESULT Point_Unadvise(void *self, DWORD cookie) {
    Object *point = object_of(self, "IConnectionPoint::Unadvise");
    if (point == NULL) {
        return RPC_E_DISCONNECTED;
    }
    Out out;
    return ask(M_UNADVISE, point->master->id, NULL, cookie, 0, &out);
}

static const void *const POINT_VTABLE[] = {
    (void *)Unknown_QueryInterface, (void *)Unknown_AddRef, (void *)Unknown_Release,
    (void *)Point_GetConnectionInterface, (void *)Point_GetConnectionPointContainer, (void *)Point_Advise,
    (void *)Point_Unadvise, (void *)Point_EnumConnections,
};

/* --- IDiscRecorder2 --------------------------------------------------------------------------------------------- */

/* How get_VolumePathNames shapes its array (shim_set_array_shape). */
enum { SHAPE_VARIANTS = 0, SHAPE_BSTRS = 1, SHAPE_NULL = 2, SHAPE_TWO_DIMENSIONS = 3, SHAPE_INTEGERS = 4 };
static int array_shape;

static HRESULT Recorder_AcquireExclusiveAccess(void *self, VARIANT_BOOL force, BSTR client_name) {
    Object *object = object_of(self, "IDiscRecorder2::AcquireExclusiveAccess");
    if (object == NULL) {
        return RPC_E_DISCONNECTED;
    }
    if (force != VARIANT_TRUE && force != VARIANT_FALSE) {
        misuse("IDiscRecorder2::AcquireExclusiveAccess: force is %d, neither VARIANT_TRUE nor VARIANT_FALSE", force);
        return E_INVALIDARG;
    }
    if (!bstr_argument(client_name, "IDiscRecorder2::AcquireExclusiveAccess")) {
        return E_INVALIDARG;
    }
    Out out;
    return ask(M_ACQUIRE_EXCLUSIVE_ACCESS, object->id, client_name, force == VARIANT_TRUE, 0, &out);
}

static HRESULT Recorder_ReleaseExclusiveAccess(void *self) {
    Object *object = object_of(self, "IDiscRecorder2::ReleaseExclusiveAccess");
    if (object == NULL) {
        return RPC_E_DISCONNECTED;
    }
    Out out;
    return ask(M_RELEASE_EXCLUSIVE_ACCESS, object->id, NULL, 0, 0, &out);
}

static HRESULT Recorder_InitializeDiscRecorder(void *self, BSTR unique_id) {
    Object *object = object_of(self, "IDiscRecorder2::InitializeDiscRecorder");
    if (object == NULL) {
        return RPC_E_DISCONNECTED;
    }
    if (!bstr_argument(unique_id, "IDiscRecorder2::InitializeDiscRecorder")) {
        return E_INVALIDARG;
    }
    Out out;
    return ask(M_INITIALIZE_DISC_RECORDER, object->id, unique_id, 0, 0, &out);
}

static HRESULT Recorder_get_VendorId(void *self, BSTR *value) {
    return bstr_property(self, value, M_VENDOR_ID, "IDiscRecorder2::get_VendorId");
}

static HRESULT Recorder_get_ProductId(void *self, BSTR *value) {
    return bstr_property(self, value, M_PRODUCT_ID, "IDiscRecorder2::get_ProductId");
}

static HRESULT Recorder_get_ProductRevision(void *self, BSTR *value) {
    return bstr_property(self, value, M_PRODUCT_REVISION, "IDiscRecorder2::get_ProductRevision");
}

static HRESULT Recorder_get_ExclusiveAccessOwner(void *self, BSTR *value) {
    return bstr_property(self, value, M_EXCLUSIVE_ACCESS_OWNER, "IDiscRecorder2::get_ExclusiveAccessOwner");
}

static HRESULT Recorder_get_VolumePathNames(void *self, SAFEARRAY **value) {
    if (value == NULL) {
        return E_POINTER;
    }
    *value = NULL;
    Object *object = object_of(self, "IDiscRecorder2::get_VolumePathNames");
    if (object == NULL) {
        return RPC_E_DISCONNECTED;
    }
    Out out;
    HRESULT hr = ask(M_VOLUME_PATH_NAMES, object->id, NULL, 0, 0, &out);
    if (hr < 0) {
        return hr;
    }
    if (array_shape == SHAPE_NULL) {
        out_discard(&out);
        return hr;
    }
    SAFEARRAY *array;
    if (array_shape == SHAPE_INTEGERS) {
        array = array_create(VT_I4, 1, (ULONG)out.texts, 0);
        for (int i = 0; i < out.texts; i++) {
            ((LONG *)array->pvData)[i] = i;
        }
        out_discard(&out);
    } else if (array_shape == SHAPE_BSTRS) {
        array = array_create(VT_BSTR, 1, (ULONG)out.texts, 0);
        for (int i = 0; i < out.texts; i++) {
            ((BSTR *)array->pvData)[i] = out.text[i];
        }
    } else {
        array = array_create(VT_VARIANT, array_shape == SHAPE_TWO_DIMENSIONS ? 2 : 1, (ULONG)out.texts, 0);
        for (int i = 0; i < out.texts; i++) {
            VARIANT *element = &((VARIANT *)array->pvData)[i];
            element->vt = VT_BSTR;
            element->u.bstrVal = out.text[i];
            count(C_VARIANT_FILLED, 1);
        }
    }
    *value = array;
    return hr;
}

static const void *const RECORDER_VTABLE[] = {
    (void *)Unknown_QueryInterface,         /* 0 */
    (void *)Unknown_AddRef,                 /* 1 */
    (void *)Unknown_Release,                /* 2 */
    (void *)Unexpected_GetTypeInfoCount,      /* 3 */
    (void *)Unexpected_GetTypeInfo,           /* 4 */
    (void *)Unexpected_GetIDsOfNames,         /* 5 */
    (void *)Unexpected_Invoke,                /* 6 */
    (void *)Recorder_EjectMedia,              /* 7 */
    (void *)Recorder_CloseTray,               /* 8 */
    (void *)Recorder_AcquireExclusiveAccess,  /* 9 */
    (void *)Recorder_ReleaseExclusiveAccess,  /* 10 */
    (void *)Recorder_DisableMcn,              /* 11 */
    (void *)Recorder_EnableMcn,               /* 12 */
    (void *)Recorder_InitializeDiscRecorder,  /* 13 */
    (void *)Recorder_get_ActiveDiscRecorder,  /* 14 */
    (void *)Recorder_get_VendorId,            /* 15 */
    (void *)Recorder_get_ProductId,           /* 16 */
    (void *)Recorder_get_ProductRevision,     /* 17 */
    (void *)Recorder_get_VolumeName,          /* 18 */
    (void *)Recorder_get_VolumePathNames,     /* 19 */
    (void *)Recorder_get_DeviceCanLoadMedia,  /* 20 */
    (void *)Recorder_get_LegacyDeviceNumber,  /* 21 */
    (void *)Recorder_get_SupportedFeaturePages, /* 22 */
    (void *)Recorder_get_CurrentFeaturePages, /* 23 */
    (void *)Recorder_get_SupportedProfiles,   /* 24 */
    (void *)Recorder_get_CurrentProfiles,     /* 25 */
    (void *)Recorder_get_SupportedModePages,  /* 26 */
    (void *)Recorder_get_ExclusiveAccessOwner, /* 27 */
};

_Static_assert(sizeof MASTER_VTABLE / sizeof(void *) == 11, "IDiscMaster2 has 11 slots");
_Static_assert(sizeof RECORDER_VTABLE / sizeof(void *) == 28, "IDiscRecorder2 has 28 slots");
_Static_assert(sizeof CONTAINER_VTABLE / sizeof(void *) == 5, "IConnectionPointContainer has 5 slots");
_Static_assert(sizeof POINT_VTABLE / sizeof(void *) == 8, "IConnectionPoint has 8 slots");

/* --- Ole32 ------------------------------------------------------------------------------------------------------ */

EXPORT HRESULT CoInitializeEx(void *reserved, DWORD coinit) {
    if (reserved != NULL) {
        misuse("CoInitializeEx: pvReserved is %p, not NULL", reserved);
    }
    Out out;
    HRESULT hr = ask(M_CO_INITIALIZE_EX, 0, NULL, coinit, 0, &out);
    if (hr >= 0) {
        co_initialized++;
        count(C_CO_INITIALIZED, 1);
    }
    return hr;
}

EXPORT void CoUninitialize(void) {
    if (co_initialized == 0) {
        misuse("CoUninitialize on a thread where CoInitializeEx did not succeed");
    } else {
        co_initialized--;
        count(C_CO_UNINITIALIZED, 1);
    }
    Out out;
    ask(M_CO_UNINITIALIZE, 0, NULL, 0, 0, &out);
}

EXPORT HRESULT CoCreateInstance(const GUID *clsid, void *outer, DWORD context, const GUID *iid, void **result) {
    if (result == NULL) {
        return E_POINTER;
    }
    *result = NULL;
    if (outer != NULL) {
        return CLASS_E_NOAGGREGATION;
    }
    if ((context & CLSCTX_INPROC_SERVER) == 0) {
        misuse("CoCreateInstance: context 0x%x does not allow the in-process server IMAPI2 is", context);
        return REGDB_E_CLASSNOTREG;
    }
    int kind;
    const GUID *interface;
    if (same_guid(clsid, &CLSID_MsftDiscMaster2)) {
        kind = KIND_MASTER;
        interface = &IID_IDiscMaster2;
    } else if (same_guid(clsid, &CLSID_MsftDiscRecorder2)) {
        kind = KIND_RECORDER;
        interface = &IID_IDiscRecorder2;
    } else {
        return REGDB_E_CLASSNOTREG;
    }
    if (!same_guid(iid, interface) && !same_guid(iid, &IID_IUnknown) && !same_guid(iid, &IID_IDispatch)) {
        return E_NOINTERFACE;
    }
    Object *object = object_create(kind, kind == KIND_MASTER ? (const void *)MASTER_VTABLE
                                                             : (const void *)RECORDER_VTABLE,
                                   kind == KIND_MASTER ? (const void *)CONTAINER_VTABLE : NULL);
    Out out;
    HRESULT hr = ask(kind == KIND_MASTER ? M_CREATE_DISC_MASTER : M_CREATE_DISC_RECORDER, object->id, NULL, 0, 0,
                     &out);
    if (hr < 0) {
        pthread_mutex_lock(&lock);
        object->references = 0;
        object->magic = DEAD;
        counters[C_OBJECT_DESTROYED]++;
        counters[C_REFERENCE_RELEASED]++;
        pthread_mutex_unlock(&lock);
        return hr;
    }
    *result = object;
    return hr;
}

/* --- User32 / Kernel32: the message queue and the wake event (their semantics are the model's) ----------------- */

typedef struct {
    uint32_t magic;
    int64_t id;
} Event;

static int64_t next_event_id = 1;

static Event *event_of(void *handle, const char *function) {
    if (handle == NULL || !registry_contains(&all_events, handle) || ((Event *)handle)->magic != LIVE) {
        misuse("%s: %p is not an open event handle", function, handle);
        return NULL;
    }
    return handle;
}

EXPORT void *CreateEventW(void *attributes, BOOL manual_reset, BOOL initial_state, const wchar_t *name) {
    if (scripted("CreateEventW") != S_OK) {
        return NULL;
    }
    if (attributes != NULL || manual_reset || initial_state || name != NULL) {
        misuse("CreateEventW: expected (NULL, FALSE, FALSE, NULL)");
    }
    Event *event = calloc(1, sizeof(Event));
    event->magic = LIVE;
    pthread_mutex_lock(&lock);
    event->id = next_event_id++;
    pthread_mutex_unlock(&lock);
    registry_add(&all_events, event);
    count(C_EVENT_CREATED, 1);
    Out out;
    ask(M_CREATE_EVENT, event->id, NULL, 0, 0, &out);
    return event;
}

EXPORT BOOL SetEvent(void *handle) {
    Event *event = event_of(handle, "SetEvent");
    if (event == NULL) {
        return 0;
    }
    Out out;
    ask(M_SET_EVENT, event->id, NULL, 0, 0, &out);
    return 1;
}

EXPORT BOOL CloseHandle(void *handle) {
    Event *event = event_of(handle, "CloseHandle");
    if (event == NULL) {
        return 0;
    }
    event->magic = DEAD;
    count(C_EVENT_CLOSED, 1);
    Out out;
    ask(M_CLOSE_EVENT, event->id, NULL, 0, 0, &out);
    return 1;
}

EXPORT DWORD MsgWaitForMultipleObjectsEx(DWORD count_, void *const *handles, DWORD milliseconds, DWORD wake_mask,
                                         DWORD flags) {
    if (count_ > 1 || (count_ == 1 && handles == NULL)) {
        misuse("MsgWaitForMultipleObjectsEx: %u handles (this stand-in waits for at most one)", count_);
        return 0xFFFFFFFFu;
    }
    int64_t id = 0;
    if (count_ == 1) {
        Event *event = event_of(handles[0], "MsgWaitForMultipleObjectsEx");
        if (event == NULL) {
            return 0xFFFFFFFFu;
        }
        id = event->id;
    }
    count(C_WAITS, 1);
    Out out;
    ask(M_WAIT, id, NULL, milliseconds, ((int64_t)flags << 32) | wake_mask, &out);
    return (DWORD)out.number;
}

EXPORT BOOL PeekMessageW(MSG *message, void *window, UINT filter_min, UINT filter_max, UINT remove) {
    if (message == NULL) {
        misuse("PeekMessageW: NULL MSG");
        return 0;
    }
    if (window != NULL || filter_min != 0 || filter_max != 0) {
        misuse("PeekMessageW: expected every message of the thread (NULL, 0, 0)");
    }
    Out out;
    ask(M_PEEK, 0, NULL, remove, 0, &out);
    if (out.number == 0) {
        return 0;
    }
    count(C_MESSAGE_PEEKED, 1);
    memset(message, 0, sizeof *message);
    if (out.number < 0) {
        message->message = WM_QUIT;
    } else {
        message->message = SHIM_WM_DELIVER;
        message->wParam = (uintptr_t)out.number;
        message->lParam = SHIM_LPARAM_MARK;
    }
    return 1;
}

EXPORT BOOL TranslateMessage(const MSG *message) {
    (void)message;
    return 0;
}

EXPORT intptr_t DispatchMessageW(const MSG *message) {
    if (message == NULL || message->message != SHIM_WM_DELIVER || message->lParam != SHIM_LPARAM_MARK) {
        misuse("DispatchMessageW: not a message PeekMessageW returned (message 0x%x, lParam 0x%lx)",
               message == NULL ? 0 : message->message, message == NULL ? 0L : (long)message->lParam);
        return 0;
    }
    count(C_MESSAGE_DISPATCHED, 1);
    Out out;
    ask(M_DISPATCH, 0, NULL, (int64_t)message->wParam, 0, &out);
    return 0;
}

/* --- control, for the tests ------------------------------------------------------------------------------------- */

EXPORT void shim_set_model(model_fn function) {
    model = function;
}

EXPORT int32_t shim_counter_count(void) {
    return C_COUNTERS;
}

EXPORT void shim_counters(int64_t *values, int32_t length) {
    pthread_mutex_lock(&lock);
    for (int i = 0; i < length && i < C_COUNTERS; i++) {
        values[i] = counters[i];
    }
    pthread_mutex_unlock(&lock);
}

/* References now held on live objects (the sum of their counts). */
EXPORT int64_t shim_live_references(void) {
    int64_t references = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < all_objects.length; i++) {
        Object *object = all_objects.items[i];
        if (object->magic == LIVE) {
            references += object->references;
        }
    }
    pthread_mutex_unlock(&lock);
    return references;
}

/* Copies the misuse log (NUL-terminated, one line per misuse) and returns its length. */
EXPORT int32_t shim_misuse(char *buffer, int32_t capacity) {
    pthread_mutex_lock(&lock);
    int32_t n = (int32_t)misuse_length < capacity - 1 ? (int32_t)misuse_length : capacity - 1;
    memcpy(buffer, misuse_log, (size_t)n);
    buffer[n] = 0;
    pthread_mutex_unlock(&lock);
    return n;
}

EXPORT void shim_fail_next(const char *function, HRESULT hr, int32_t times) {
    pthread_mutex_lock(&lock);
    for (int i = 0; i < 16; i++) {
        if (failures[i].remaining == 0) {
            snprintf(failures[i].function, sizeof failures[i].function, "%s", function);
            failures[i].hr = hr;
            failures[i].remaining = times;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

EXPORT void shim_set_array_shape(int32_t shape) {
    array_shape = shape;
}

/* Forgets everything (zombies included); the counters start again at 0. Call when nothing is in use. */
EXPORT void shim_reset(void) {
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < all_objects.length; i++) {
        free(all_objects.items[i]);
    }
    all_objects.length = 0;
    for (size_t i = 0; i < all_events.length; i++) {
        free(all_events.items[i]);
    }
    all_events.length = 0;
    memset(counters, 0, sizeof counters);
    memset(failures, 0, sizeof failures);
    misuse_length = 0;
    misuse_log[0] = 0;
    array_shape = SHAPE_VARIANTS;
    pthread_mutex_unlock(&lock);
}
