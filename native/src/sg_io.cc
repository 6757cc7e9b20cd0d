// Linux SCSI generic pass-through (sg_io_hdr, interface_id 'S', include/scsi/sg.h): open, one SG_IO per call, close.
// All decoding of CDBs, replies and sense data lives in TypeScript (src/mmc/); this file only moves bytes.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <scsi/sg.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr size_t kMaxCdbLength = 16;
constexpr size_t kSenseBufferLength = 64;
// The kernel rejects larger single transfers on most HBAs; a caller asking for more is a bug, not a drive problem.
constexpr size_t kMaxTransferLength = 16 * 1024 * 1024;
constexpr uint32_t kMaxTimeoutMs = 24u * 3600u * 1000u;
// sg v3 interface (sg_io_hdr) is version 30000 and later; both sg and sr/block devices report it.
constexpr int kMinSgVersion = 30000;

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  std::string message = std::string(syscall) + " " + path + ": " + std::strerror(err);
  Napi::Error error = Napi::Error::New(env, message);
  const char* name = nullptr;
  switch (err) {
    case ENOTTY: name = "ENOTTY"; break;
    case EACCES: name = "EACCES"; break;
    case EPERM: name = "EPERM"; break;
    case ENOENT: name = "ENOENT"; break;
    case EBUSY: name = "EBUSY"; break;
    case EROFS: name = "EROFS"; break;
    case ENXIO: name = "ENXIO"; break;
    case ENODEV: name = "ENODEV"; break;
    case EINVAL: name = "EINVAL"; break;
    case EBADF: name = "EBADF"; break;
    case EIO: name = "EIO"; break;
    case ENOMEM: name = "ENOMEM"; break;
    case ENOMEDIUM: name = "ENOMEDIUM"; break;
    default: break;
  }
  error.Set("code", Napi::String::New(env, name != nullptr ? name : "E" + std::to_string(err)));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) error.Set("path", Napi::String::New(env, path));
  return error;
}

int OpenWithFallback(const std::string& path, bool exclusive, bool* readOnly) {
  int flags = O_NONBLOCK | O_CLOEXEC | (exclusive ? O_EXCL : 0);
  *readOnly = false;
  int fd = ::open(path.c_str(), O_RDWR | flags);
  if (fd < 0 && (errno == EACCES || errno == EROFS)) {
    // Reading a disc needs only read access; writing is refused later with a clear message.
    fd = ::open(path.c_str(), O_RDONLY | flags);
    if (fd >= 0) *readOnly = true;
  }
  return fd;
}

// open(path, { exclusive?: boolean }) -> { fd, readOnly, sgVersion }
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "open(path, options?): path must be a string");
  std::string path = info[0].As<Napi::String>();
  bool exclusive = false;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Value ex = info[1].As<Napi::Object>().Get("exclusive");
    exclusive = ex.IsBoolean() && ex.As<Napi::Boolean>().Value();
  }
  bool readOnly = false;
  int fd = OpenWithFallback(path, exclusive, &readOnly);
  if (fd < 0) throw ErrnoError(env, errno, "open", path);

  struct stat st;
  if (::fstat(fd, &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
    ::close(fd);
    Napi::Error error = ErrnoError(env, ENOTTY, "open", path);
    error.Set("message", Napi::String::New(env, path + " is not a device node (SG_IO needs /dev/sg* or /dev/sr*)"));
    throw error;
  }
  int version = 0;
  if (::ioctl(fd, SG_GET_VERSION_NUM, &version) != 0 || version < kMinSgVersion) {
    int err = errno != 0 ? errno : ENOTTY;
    ::close(fd);
    Napi::Error error = ErrnoError(env, err == EINVAL ? ENOTTY : err, "ioctl(SG_GET_VERSION_NUM)", path);
    error.Set("message", Napi::String::New(env, path + " does not speak SCSI generic (SG_IO v3): not an sg or sr device"));
    throw error;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", Napi::Number::New(env, fd));
  result.Set("readOnly", Napi::Boolean::New(env, readOnly));
  result.Set("sgVersion", Napi::Number::New(env, version));
  return result;
}

class SgIoWorker : public Napi::AsyncWorker {
 public:
  SgIoWorker(Napi::Env env, int fd, const uint8_t* cdb, size_t cdbLength, int direction, uint8_t* data,
             size_t dataLength, uint32_t timeoutMs, Napi::Object keepAlive)
      : Napi::AsyncWorker(env, "discfs:sg_io"), deferred_(Napi::Promise::Deferred::New(env)), fd_(fd),
        direction_(direction), data_(data), dataLength_(dataLength), timeoutMs_(timeoutMs) {
    std::memcpy(cdb_, cdb, cdbLength);
    cdbLength_ = cdbLength;
    // The caller's buffers must outlive the ioctl running on the worker thread.
    keepAlive_ = Napi::Persistent(keepAlive);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    sg_io_hdr_t hdr;
    std::memset(&hdr, 0, sizeof hdr);
    hdr.interface_id = 'S';
    hdr.dxfer_direction = direction_;
    hdr.cmd_len = static_cast<unsigned char>(cdbLength_);
    hdr.cmdp = cdb_;
    hdr.dxfer_len = static_cast<unsigned int>(dataLength_);
    hdr.dxferp = dataLength_ > 0 ? data_ : nullptr;
    hdr.mx_sb_len = kSenseBufferLength;
    hdr.sbp = sense_;
    hdr.timeout = timeoutMs_;
    int rc;
    do {
      rc = ::ioctl(fd_, SG_IO, &hdr);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      errno_ = errno;
      return;
    }
    status_ = hdr.status;
    maskedStatus_ = hdr.masked_status;
    hostStatus_ = hdr.host_status;
    driverStatus_ = hdr.driver_status;
    senseLength_ = hdr.sb_len_wr <= kSenseBufferLength ? hdr.sb_len_wr : kSenseBufferLength;
    residual_ = hdr.resid;
    durationMs_ = hdr.duration;
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (errno_ != 0) {
      deferred_.Reject(ErrnoError(env, errno_, "ioctl(SG_IO)", "fd " + std::to_string(fd_)).Value());
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("status", Napi::Number::New(env, status_));
    result.Set("maskedStatus", Napi::Number::New(env, maskedStatus_));
    result.Set("hostStatus", Napi::Number::New(env, hostStatus_));
    result.Set("driverStatus", Napi::Number::New(env, driverStatus_));
    result.Set("sense", Napi::Buffer<uint8_t>::Copy(env, sense_, senseLength_));
    if (senseLength_ >= 3) result.Set("senseKey", Napi::Number::New(env, SenseKey()));
    result.Set("residual", Napi::Number::New(env, residual_));
    result.Set("durationMs", Napi::Number::New(env, durationMs_));
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  // SPC-4 4.5.2: response codes 70h/71h are fixed format (key in byte 2), 72h/73h descriptor format (key in byte 1).
  unsigned SenseKey() const {
    unsigned code = sense_[0] & 0x7f;
    return (code == 0x72 || code == 0x73) ? (sense_[1] & 0x0f) : (sense_[2] & 0x0f);
  }

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keepAlive_;
  int fd_;
  int direction_;
  uint8_t cdb_[kMaxCdbLength];
  size_t cdbLength_ = 0;
  uint8_t* data_;
  size_t dataLength_;
  uint32_t timeoutMs_;
  uint8_t sense_[kSenseBufferLength] = {0};
  int errno_ = 0;
  unsigned status_ = 0, maskedStatus_ = 0, hostStatus_ = 0, driverStatus_ = 0;
  size_t senseLength_ = 0;
  int residual_ = 0;
  unsigned durationMs_ = 0;
};

int ParseDirection(Napi::Env env, const Napi::Value& value) {
  std::string direction = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (direction == "none") return SG_DXFER_NONE;
  if (direction == "in") return SG_DXFER_FROM_DEV;
  if (direction == "out") return SG_DXFER_TO_DEV;
  throw Napi::TypeError::New(env, "execute: direction must be 'none', 'in' or 'out'");
}

// execute(fd, cdb, direction, data, timeoutMs) -> Promise<result>
Napi::Value Execute(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) throw Napi::TypeError::New(env, "execute(fd, cdb, direction, data, timeoutMs)");
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "execute: fd must be a number");
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (!info[1].IsBuffer()) throw Napi::TypeError::New(env, "execute: cdb must be a Buffer");
  Napi::Buffer<uint8_t> cdb = info[1].As<Napi::Buffer<uint8_t>>();
  if (cdb.Length() < 6 || cdb.Length() > kMaxCdbLength) throw Napi::RangeError::New(env, "execute: cdb must be 6..16 bytes");
  int direction = ParseDirection(env, info[2]);
  uint8_t* data = nullptr;
  size_t dataLength = 0;
  if (info[3].IsBuffer()) {
    Napi::Buffer<uint8_t> buffer = info[3].As<Napi::Buffer<uint8_t>>();
    data = buffer.Data();
    dataLength = buffer.Length();
  } else if (!info[3].IsNull() && !info[3].IsUndefined()) {
    throw Napi::TypeError::New(env, "execute: data must be a Buffer or null");
  }
  if (dataLength > kMaxTransferLength) throw Napi::RangeError::New(env, "execute: data longer than 16 MiB");
  if ((direction == SG_DXFER_NONE) != (dataLength == 0))
    throw Napi::TypeError::New(env, "execute: direction 'none' goes with no data, 'in'/'out' need a non-empty Buffer");
  double timeout = info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : -1;
  if (!(timeout >= 1 && timeout <= kMaxTimeoutMs)) throw Napi::RangeError::New(env, "execute: timeoutMs must be 1..86400000");

  Napi::Object keepAlive = Napi::Object::New(env);
  keepAlive.Set("cdb", cdb);
  if (data != nullptr) keepAlive.Set("data", info[3]);
  auto* worker = new SgIoWorker(env, fd, cdb.Data(), cdb.Length(), direction, data, dataLength,
                                static_cast<uint32_t>(timeout), keepAlive);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// close(fd)
Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "close(fd): fd must be a number");
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (::close(fd) != 0) throw ErrnoError(env, errno, "close", "fd " + std::to_string(fd));
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("execute", Napi::Function::New(env, Execute, "execute"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sg_io, Init)
