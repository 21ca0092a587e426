import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child started by ``ChildProcess/spawn(executable:arguments:environment:)``: the leader of its own
/// process group, with its stdout and stderr on pipes whose read ends the launcher owns.
struct ChildProcess: Sendable {
    let pid: pid_t
    let stdout: Int32
    let stderr: Int32

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `executable` with stdin on /dev/null, in a new process group (so a terminal's Ctrl-C goes
    /// only to the launcher, and stopping a service reaches its own children), with default signal
    /// dispositions and an empty signal mask (the launcher ignores SIGINT/SIGTERM; children must not).
    static func spawn(executable: String, arguments: [String], environment: [String: String]) throws(SpawnError) -> ChildProcess {
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        _ = Self.closeFrom?(&actions, 3)

        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], envp + [nil])
        close(out[1])
        close(err[1])
        guard rc == 0 else {
            close(out[0])
            close(err[0])
            throw SpawnError(description: "\(executable): \(String(cString: strerror(rc)))")
        }
        return ChildProcess(pid: pid, stdout: out[0], stderr: err[0])
    }

    #if canImport(Darwin)
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t?>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = nil
    #else
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc ≥ 2.34 closes every other descriptor in the child; Swift does not import the GNU extension, so look it up.
    private static let closeFrom: CloseFrom? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()
    #endif

    /// Blocks until the child exits. `beforeReaping` runs while the exited child is still a zombie,
    /// so its pid (and process-group id) cannot have been reused yet.
    static func waitForExit(pid: pid_t, beforeReaping: () -> Void) -> ExitStatus {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 {
            if errno != EINTR { break }
        }
        beforeReaping()
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid { break }
            if result == -1, errno == EINTR { continue }
            return .unknown
        }
        let low = status & 0x7f
        if low == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(low)
    }

    /// Reads `fd` to end of file on the calling thread, handing complete lines to `lines`; closes it.
    static func drain(fd: Int32, lines: ([String]) -> Void) {
        var splitter = LineSplitter()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                lines(splitter.append(buffer[0..<count]))
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        if let rest = splitter.finish() { lines([rest]) }
        close(fd)
    }
}
