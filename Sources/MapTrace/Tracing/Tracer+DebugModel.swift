/// The model against /proc/PID/maps, a developer's aid (docs/architecture.md, "Checking the
/// model"): `MAPTRACE_DEBUG_MODEL` and `MAPTRACE_DEBUG_MODEL_AT`.
extension Tracer {
    /// Prints the areas the model and the kernel do not share, and what may explain them: the
    /// threads still inside an munmap the model took at entry (they have not stopped since) and
    /// the checks put off. True when the two differed.
    func debugCompare(_ process: TracedProcess, _ call: CallRecord) -> Bool {
        guard let kernel = try? MapsFile.read(pid: process.pid).filter({ $0.path != "[vsyscall]" }),
              kernel.count != process.space.count else { return false }
        let model = process.space.mappings
        let k = Set(kernel.map { "\($0.start)-\($0.end)" }), m = Set(model.map { "\($0.start)-\($0.end)" })
        let unseen = process.threadsInCall.filter(\.inUnseenCall).map { "\($0.tid) \(Array($0.unseenSpans))" }
        Console.error("DEBUG \(CallText.render(call)) kernel \(kernel.count) model \(model.count); "
            + "in munmaps taken at entry: \(unseen.isEmpty ? "none" : unseen.joined(separator: ", ")); "
            + "checks put off: \(process.deferred.count)")
        for a in kernel where !m.contains("\(a.start)-\(a.end)") { Console.error("  kernel only \(a)") }
        for a in model where !k.contains("\(a.start)-\(a.end)") { Console.error("  model only \(a) \(String(describing: a.traits))") }
        return true
    }
}
