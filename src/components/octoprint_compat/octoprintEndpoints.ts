// The OctoPrint-compatible endpoints of Moonraker's octoprint_compat: slicers and farm
// managers (FDM Monster) check /api/version before talking to a printer at all.
import { rpc, upload, type Endpoint } from '../../transport/endpointRegistry.js';
import type { UploadResult, UploadSource } from '../../shared/fileTransfer.js';
import type { RequestContext } from '../../transport/requestContext.js';
import { MOONSTATE_VERSION } from '../../version.js';

/** The OctoPrint server version Moonraker claims; slicers compare against it. */
const OCTOPRINT_SERVER = '1.5.0';

/** `receive`: the file manager's upload handler, which /api/files/local shares with server.files.upload. */
export function octoprintEndpoints(receive: (source: UploadSource, ctx: RequestContext) => Promise<UploadResult>): Endpoint[] {
  return [
    // OctoPrint's upload path, which slicers post to.
    upload({
      method: 'octoprint.api.files.local',
      description: 'Upload a file (OctoPrint-compatible path of server.files.upload)',
      http: { verbs: ['POST'], path: '/api/files/local' },
      handler: receive,
    }),
    rpc({
      method: 'octoprint.api.version',
      description: 'OctoPrint API version (compatibility)',
      http: { verbs: ['GET'], path: '/api/version' },
      websocket: false,
      bareHttpResult: true,
      params: {},
      handler: () => ({ server: OCTOPRINT_SERVER, api: '0.1', text: `OctoPrint (moonstate ${MOONSTATE_VERSION})` }),
    }),
    rpc({
      method: 'octoprint.api.server',
      description: 'OctoPrint server information (compatibility)',
      http: { verbs: ['GET'], path: '/api/server' },
      websocket: false,
      bareHttpResult: true,
      params: {},
      handler: () => ({ server: OCTOPRINT_SERVER, safemode: null }),
    }),
  ];
}
