// WebSocket chat rooms: room -> set of sockets. Every text frame received is
// sent unchanged to every member of the room, the sender included. Under
// node:cluster a room's members may sit in different workers, so each worker
// also hands the frame to the primary, which forwards it to the other workers.
import cluster from 'node:cluster';
import { WebSocket } from 'ws';

// A member whose send buffer grows past this is too slow: drop it rather
// than hold up the room or grow memory without bound.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export class ChatRooms {
  constructor() {
    this.rooms = new Map();
    if (cluster.isWorker) {
      process.on('message', (msg) => {
        if (msg?.chat) this.#deliver(msg.chat.room, Buffer.from(msg.chat.text, 'utf8'));
      });
    }
  }

  join(room, socket) {
    let members = this.rooms.get(room);
    if (!members) {
      members = new Set();
      this.rooms.set(room, members);
    }
    members.add(socket);

    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.#deliver(room, data);
      if (cluster.isWorker) process.send({ chat: { room, text: data.toString('utf8') } });
    });
    socket.on('close', () => {
      members.delete(socket);
      if (members.size === 0 && this.rooms.get(room) === members) this.rooms.delete(room);
    });
    socket.on('error', () => socket.terminate());
  }

  #deliver(room, data) {
    const members = this.rooms.get(room);
    if (!members) return;
    for (const member of members) {
      if (member.readyState !== WebSocket.OPEN) continue;
      if (member.bufferedAmount > MAX_BUFFERED_BYTES) {
        member.terminate();
        continue;
      }
      member.send(data, { binary: false });
    }
  }
}

// Called in the cluster primary: forward each worker's chat frames to the others.
export function relayChatBetweenWorkers() {
  cluster.on('message', (from, msg) => {
    if (!msg?.chat) return;
    for (const worker of Object.values(cluster.workers)) {
      if (worker !== from && worker.isConnected()) worker.send(msg);
    }
  });
}

export function roomFromQuery(value) {
  return typeof value === 'string' && value.length > 0 ? value : 'lobby';
}
