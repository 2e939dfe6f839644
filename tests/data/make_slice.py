"""Make the vendored slices of the public dev sets: whole articles taken at a fixed stride, in SQuAD format.

    python tests/data/make_slice.py ../shared/data/DRCD_dev.json tests/data/quality_slice_drcd.json
    python tests/data/make_slice.py ../shared/data/cmrc2018_dev.json tests/data/quality_slice_cmrc.json
    python tests/data/make_slice.py ../shared/data/DRCD_dev.json tests/data/bm25_slice_drcd.json \\
        --stride 1 --questions 400 --sentences 3000

The quality slices (75 questions each) are for the answer-quality regression test; the BM25 slice (the first
articles of DRCD dev, ≥ 3,000 sentences, 400 questions) for the reference test against rank-bm25. Articles are
picked by position, not by how well the engine does on them.
"""
import argparse
import json
import re

SENTENCE_END = re.compile(r"(?<=[。！？；])")


def sentence_count(article: dict) -> int:
    return sum(len([s for s in SENTENCE_END.split(p["context"]) if s.strip()]) for p in article["paragraphs"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--questions", type=int, default=75, help="questions to keep (default 75)")
    parser.add_argument("--stride", type=int, default=20, help="take every n-th article (default 20)")
    parser.add_argument("--sentences", type=int, default=0, help="go on until the articles hold this many sentences")
    args = parser.parse_args()
    data = json.load(open(args.source, encoding="utf-8"))
    kept, count, sentences = [], 0, 0
    for article in data["data"][::args.stride]:
        paragraphs = []
        for paragraph in article["paragraphs"]:
            qas = paragraph["qas"][: max(0, args.questions - count)]
            count += len(qas)
            paragraphs.append({"context": paragraph["context"], "qas": [
                {"id": qa["id"], "question": qa["question"],
                 "answers": [{"text": a["text"], "answer_start": a["answer_start"]} for a in qa["answers"]]}
                for qa in qas]})
        kept.append({"title": article["title"], "paragraphs": paragraphs})
        sentences += sentence_count(article)
        if count >= args.questions and sentences >= args.sentences:
            break
    json.dump({"version": data.get("version", ""), "data": kept}, open(args.target, "w", encoding="utf-8"),
              ensure_ascii=False, indent=None, separators=(",", ":"))
    print(f"{args.target}: {len(kept)} articles, {sentences} sentences, {count} questions")


if __name__ == "__main__":
    main()
