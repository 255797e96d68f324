"""Round trip per study through a real PACS: Orthanc sends a study to `ich-node`, the node predicts it and sends the
SR and secondary captures back; the clock runs from Orthanc's store request until both are in Orthanc.

Reference in the same run: `ich-predict --dicom_out` on the same study's files (a fresh output folder, the same
models, options and threads), so the ratio is what the network, the node and Orthanc add.

    python benchmarks/node_roundtrip.py            # the demo models on the demo's test studies (hospital UIDs)

Needs Orthanc (Debian: orthanc orthanc-dicomweb). The node keeps its models loaded between studies, as in service.
"""
import argparse, json, shutil, tempfile, threading, time
from pathlib import Path
import pydicom
from ich_nbdev.core import KAGGLE, safe_name
from ich_nbdev.synth import demo_data
from ich_nbdev.predict import predict
from ich_nbdev.node import Node
from ich_nbdev.testing import demo_sequence, hospital_copy, free_port, orthanc_server, orthanc_rest

ap = argparse.ArgumentParser(); ap.add_argument('--tta', default='flip'); ap.add_argument('--studies', type=int, default=3)
args = ap.parse_args()
models, tmp = demo_sequence(), Path(tempfile.mkdtemp())
files = hospital_copy(sorted((demo_data()/KAGGLE.test_dir).glob('*.dcm')), tmp/'hosp')
by = {}
for f in files: by.setdefault(str(pydicom.dcmread(f, stop_before_pixels=True).StudyInstanceUID), []).append(f)
studies = sorted(by)[:args.studies]
http, dport, nport = free_port(), free_port(), free_port()
orth = orthanc_server(tmp/'orthanc', http, dport, {'ichnode': ['ICHNODE', '127.0.0.1', nport]})
node = Node(models, port=nport, dest=f'ORTHANC@127.0.0.1:{dport}', idle=1, out=tmp/'node', tta=args.tta).start()
th = threading.Thread(target=node.serve); th.start()
print(f"{'study':>8} {'slices':>6} {'round trip s':>12} {'of which idle wait':>18} {'ich-predict s':>13} {'ratio':>6}")
try:
    for k, s in enumerate(studies):
        ids = [orthanc_rest(http, '/instances', f.read_bytes())['ParentStudy'] for f in by[s]]
        t0 = time.perf_counter()
        orthanc_rest(http, '/modalities/ichnode/store', json.dumps(dict(Resources=[ids[0]], Synchronous=True)).encode())
        while not {'SR', 'OT'} <= {x['MainDicomTags'].get('Modality') for x in orthanc_rest(http, f'/studies/{ids[0]}/series')}: time.sleep(.05)
        rt = time.perf_counter() - t0
        one = tmp/f'one{k}'; one.mkdir(); [shutil.copy(f, one) for f in by[s]]
        t1 = time.perf_counter(); predict(one, tmp/f'ref{k}', models, tta=args.tta, quiet=True, dicom_out=True); ref = time.perf_counter() - t1
        print(f'{k:>8} {len(by[s]):>6} {rt:>12.2f} {node.o["idle"]:>18.1f} {ref:>13.2f} {rt / ref:>6.2f}')
finally:
    node.stop.set(); th.join(); orth.terminate(); orth.wait(timeout=30); shutil.rmtree(tmp, ignore_errors=True)
