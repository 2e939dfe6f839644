"""Make quality_slice_*.json: whole articles taken at a fixed stride from the public dev sets, 75 questions each.

    python tests/data/make_slice.py ../shared/data/DRCD_dev.json tests/data/quality_slice_drcd.json
    python tests/data/make_slice.py ../shared/data/cmrc2018_dev.json tests/data/quality_slice_cmrc.json

Articles are picked by position (every 20th), not by how well the engine does on them.
"""
import json
import sys

QUESTIONS = 75
STRIDE = 20


def main(source: str, target: str) -> None:
    data = json.load(open(source, encoding="utf-8"))
    kept, count = [], 0
    for article in data["data"][::STRIDE]:
        paragraphs = []
        for paragraph in article["paragraphs"]:
            qas = paragraph["qas"][: max(0, QUESTIONS - count)]
            count += len(qas)
            paragraphs.append({"context": paragraph["context"], "qas": [
                {"id": qa["id"], "question": qa["question"],
                 "answers": [{"text": a["text"], "answer_start": a["answer_start"]} for a in qa["answers"]]}
                for qa in qas]})
        kept.append({"title": article["title"], "paragraphs": paragraphs})
        if count >= QUESTIONS:
            break
    json.dump({"version": data.get("version", ""), "data": kept}, open(target, "w", encoding="utf-8"),
              ensure_ascii=False, indent=None, separators=(",", ":"))
    print(f"{target}: {len(kept)} articles, {count} questions")


if __name__ == "__main__":
    main(*sys.argv[1:3])
