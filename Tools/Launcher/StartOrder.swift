/// Orders services so that each starts after everything it depends on; among services that are
/// ready at the same time, the one listed first in the file goes first.
enum StartOrder {
    static func order(_ services: [(name: String, dependsOn: [String])]) throws(ComposeError) -> [String] {
        let index = Dictionary(services.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        for service in services {
            for dependency in service.dependsOn where index[dependency] == nil {
                throw .unknownDependency(service: service.name, dependency: dependency)
            }
        }
        var remaining = Array(services.indices)
        var placed = Set<String>()
        var order: [String] = []
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { services[$0].dependsOn.allSatisfy(placed.contains) }) else {
                throw .dependencyCycle(findCycle(services, among: Set(remaining.map { services[$0].name })))
            }
            let chosen = services[remaining.remove(at: next)].name
            placed.insert(chosen)
            order.append(chosen)
        }
        return order
    }

    /// Follows unplaced dependencies from the first unplaced service until a name repeats.
    private static func findCycle(_ services: [(name: String, dependsOn: [String])], among unplaced: Set<String>) -> [String] {
        let deps = Dictionary(services.map { ($0.name, $0.dependsOn) }, uniquingKeysWith: { first, _ in first })
        guard var current = services.first(where: { unplaced.contains($0.name) })?.name else { return [] }
        var path: [String] = []
        while !path.contains(current) {
            path.append(current)
            // Every unplaced service has at least one unplaced dependency, or it would have been placed.
            guard let next = deps[current]?.first(where: unplaced.contains) else { return path }
            current = next
        }
        return Array(path[path.firstIndex(of: current)!...]) + [current]
    }
}
