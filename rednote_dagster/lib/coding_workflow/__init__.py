"""The manual coding workflow: from the warehouse to ``$REDNOTE_DATA_DIR/manual/<scheme>_coding.csv`` and back.

1. **Sample** (``sample.py``): a reproducible, stratified sample per scheme (collection month × phase ×
   language, proportional allocation), seeded by a hash of each item's id so the draw does not depend on
   row order; items already coded or drawn before are kept, so a larger size grows the sample.
2. **Hand out** (``handout.py``): one XLSX workbook per coder (``workbook.py``: locked text, a drop-down of
   the scheme's codes, their descriptions on a second sheet) and the same items as a Label Studio project
   (``label_studio.py``: tasks JSON and a labelling config generated from the scheme).
3. **Take back** (``importing.py``): filled workbooks and Label Studio JSON exports become rows of the
   coding file (coder, code, when, from which file), validated: an unknown code or an item coded twice
   differently stops the import with every problem listed; uncoded items are reported, never dropped quietly.
4. **Adjudicate** (``adjudication.py``): a sheet of the items the coders disagree on, with every coder's
   code; its filled resolution column becomes ``manual/<scheme>_adjudication.csv``, and with the items the
   coders agree on, the consensus.

Every step takes the scheme as data (``targets.py`` derives what is coded, and in which file, from
``lib/coding.CODED_TABLES`` and ``lib/labelling/schemes.py``), so one code path serves every scheme.
Dagster-free: ``defs/analysis/coding_sample.py`` and ``python -m rednote_dagster coding`` call it.
"""
