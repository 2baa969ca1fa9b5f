import Foundation

/// A blocking first-in first-out queue with a fixed capacity: the walker waits when workers fall
/// behind, so memory stays bounded however many files a tree holds.
///
/// `@unchecked Sendable`: every access to `items` and `closed` happens under `condition`'s lock.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds an element, waiting while the queue is full.
    func push(_ element: Element) {
        condition.lock()
        while items.count - head >= capacity { condition.wait() }
        items.append(element)
        condition.broadcast()
        condition.unlock()
    }

    /// Removes the oldest element, waiting while the queue is empty; `nil` once closed and drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return element
    }

    /// No more elements will be pushed; waiting consumers drain the rest and then get `nil`.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
