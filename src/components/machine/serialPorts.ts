// machine.peripherals.serial: the host's serial devices (USB CDC-ACM/serial adapters and
// hardware UARTs). serialport's list asks udev; where udev is absent (containers, minimal
// images) we fall back to the /dev/serial/by-id links the kernel's udev rules would have made,
// and to /sys for drivers.
import { readFile, readdir, readlink, realpath } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SerialPort } from 'serialport';
import { getLogger } from '../../logger.js';

const log = getLogger('serial');

export interface SerialDevice {
  device_type: 'usb' | 'hardware_uart';
  device_path: string;
  device_name: string;
  driver_name: string;
  path_by_hardware: string | null;
  path_by_id: string | null;
  usb_location: string | null;
}

/** Link name → resolved target for every link in `dir`. */
async function links(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const link = join(dir, name);
    const target = await realpath(link).catch(() => undefined);
    if (target) out.set(target, link);
  }
  return out;
}

async function describe(devicePath: string, byId: Map<string, string>, byPath: Map<string, string>): Promise<SerialDevice> {
  const name = basename(devicePath);
  const driver = await readlink(`/sys/class/tty/${name}/device/driver`).catch(() => '');
  const usb = /^tty(ACM|USB)/.test(name);
  let usbLocation: string | null = null;
  if (usb) {
    // The USB device two levels up carries busnum/devnum, as in machine.peripherals.usb.
    const dev = await realpath(`/sys/class/tty/${name}/device/..`).catch(() => undefined);
    if (dev) {
      const [bus, num] = await Promise.all(['busnum', 'devnum'].map((f) => readFile(join(dev, f), 'utf8').catch(() => '')));
      if (bus?.trim() && num?.trim()) usbLocation = `${bus.trim()}:${num.trim()}`;
    }
  }
  return {
    device_type: usb ? 'usb' : 'hardware_uart',
    device_path: devicePath,
    device_name: name,
    driver_name: basename(driver),
    path_by_hardware: byPath.get(devicePath) ?? null,
    path_by_id: byId.get(devicePath) ?? null,
    usb_location: usbLocation,
  };
}

export async function listSerialDevices(): Promise<SerialDevice[]> {
  const [byId, byPath] = await Promise.all([links('/dev/serial/by-id'), links('/dev/serial/by-path')]);
  let paths: string[];
  try {
    paths = (await SerialPort.list()).map((p) => p.path);
  } catch (err) {
    log.debug(`serialport list failed (${(err as Error).message}); using /dev/serial/by-id`);
    paths = [...byId.keys()];
  }
  const devices = await Promise.all([...new Set(paths)].sort().map((p) => describe(p, byId, byPath)));
  return devices;
}
